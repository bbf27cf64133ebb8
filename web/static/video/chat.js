// The room's text chat. The server relays messages and keeps none, so the log lives only here.

const MAX_CHARACTERS = 2000;

export class Chat {
  #form;
  #text;
  #log;
  #error;
  #send;
  #t;
  #formats;

  constructor({ form, text, log, error, send, t, formats }) {
    this.#form = form;
    this.#text = text;
    this.#log = log;
    this.#error = error;
    this.#send = send;
    this.#t = t;
    this.#formats = formats;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    // Enter sends, Shift+Enter starts a new line, as in every chat people know.
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.#submit();
      }
    });
    text.addEventListener("input", () => {
      if (!this.#error.hidden) this.#showError("");
    });
  }

  /** Show a message relayed by the server (our own come back too: that is the delivery receipt). */
  add({ name, text, at }) {
    const item = document.createElement("li");
    item.className = "video-chat__message";
    const meta = document.createElement("p");
    meta.className = "video-chat__meta";
    const who = document.createElement("span");
    who.className = "video-chat__name";
    who.textContent = name;
    const when = document.createElement("time");
    when.className = "video-chat__time";
    const moment = new Date(at);
    if (!Number.isNaN(moment.getTime())) {
      when.dateTime = moment.toISOString();
      when.textContent = this.#formats.clock.format(moment);
    }
    meta.append(who, " ", when);
    const body = document.createElement("p");
    body.className = "video-chat__body";
    body.textContent = text;
    item.append(meta, body);
    this.#log.append(item);
    this.#log.scrollTop = this.#log.scrollHeight;
  }

  #submit() {
    const text = this.#text.value.trim();
    if (!text) {
      this.#showError(this.#t("chat_empty"));
      return;
    }
    // The server counts characters (code points), not UTF-16 units.
    if ([...text].length > MAX_CHARACTERS) {
      this.#showError(this.#t("chat_too_long"));
      return;
    }
    if (this.#send({ type: "chat", text })) {
      this.#text.value = "";
      this.#showError("");
    }
  }

  #showError(message) {
    this.#error.textContent = message;
    this.#error.hidden = !message;
    if (message) {
      this.#text.setAttribute("aria-invalid", "true");
      this.#text.setAttribute("aria-describedby", this.#error.id);
      this.#text.classList.add("input--error");
    } else {
      this.#text.removeAttribute("aria-invalid");
      this.#text.removeAttribute("aria-describedby");
      this.#text.classList.remove("input--error");
    }
  }
}
