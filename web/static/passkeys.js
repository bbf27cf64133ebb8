// Passkeys for staff (WebAuthn): a button to register one on the second-factor page, and one to
// use one on the login-code page. Without JavaScript or WebAuthn the buttons stay hidden and the
// authenticator code does the same job.

const supported =
  "PublicKeyCredential" in window &&
  typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function";

async function postJson(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: body === undefined ? "{}" : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.status === 201 ? null : response.json();
}

function report(element, ok) {
  const status = document.getElementById(element.dataset.status);
  if (!status) return;
  status.textContent = ok ? element.dataset.done : element.dataset.failed;
  status.hidden = false;
  status.focus();
}

async function register(button) {
  try {
    const options = await postJson("/api/v1/auth/passkeys/options");
    const credential = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
    });
    await postJson("/api/v1/auth/passkeys", credential.toJSON());
    report(button, true);
  } catch {
    report(button, false);
  }
}

async function logIn(button) {
  try {
    const options = await postJson("/api/v1/auth/passkey-login/options");
    const credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
    });
    await postJson("/api/v1/auth/passkey-login", credential.toJSON());
    window.location.assign(button.dataset.next || "/staff");
  } catch {
    report(button, false);
  }
}

if (supported) {
  for (const button of document.querySelectorAll("[data-passkey]")) {
    button.hidden = false;
    button.addEventListener("click", () =>
      button.dataset.passkey === "register" ? register(button) : logIn(button),
    );
  }
}
