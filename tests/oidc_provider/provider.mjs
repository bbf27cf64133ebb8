// A real OpenID provider (panva/oidc-provider, a certified implementation) configured like the
// national ones Kohtaamo meets: Suomi.fi and the Finnish Trust Network brokers ("ftn") and the
// Swedish eID brokers ("oidc-sweden"). Tests start it on 127.0.0.1 (tests/oidc_provider.py):
//
//   node provider.mjs config.json
//
// config.json: {issuer, port, acr_values, clients: [client metadata], people: {id: {claims}},
//               jwks: {keys: [private signing keys]}, force_acr: null}
//
// As the national providers do, it requires PKCE (S256), signed request objects and
// private_key_jwt from the national profiles' clients (their metadata asks for them), and signs
// then encrypts ID tokens and userinfo answers to the client's key. A client registered as a
// municipality's own staff provider registers it (plain parameters, client_secret_basic,
// signed tokens only), as Entra ID and the like do.
// The login page lists the test people; a test can also finish a login without a browser:
// GET /interaction/<uid>/login?person=<id>. Control for tests, on 127.0.0.1 only:
// POST /_control/force_acr (body: the acr to answer with whatever was asked, or empty).

import { readFileSync } from "node:fs";
import http from "node:http";

import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
let forceAcr = config.force_acr || null;

const personClaims = [
  ...new Set(Object.values(config.people).flatMap((claims) => Object.keys(claims))),
];

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: ["kohtaamo-test-provider-cookie-key"] },
  acrValues: config.acr_values,
  // Every claim a test person has may be released: scope "profile" and the claims parameter.
  claims: { openid: ["sub"], profile: personClaims },
  // The identity code and names go into the ID token too, as the national profiles do.
  conformIdTokenClaims: false,
  clientAuthMethods: ["private_key_jwt", "client_secret_basic"],
  responseTypes: ["code"],
  pkce: { required: () => true },
  enabledJWA: {
    requestObjectSigningAlgValues: ["RS256", "PS256", "ES256"],
    clientAuthSigningAlgValues: ["RS256", "PS256", "ES256"],
    idTokenEncryptionAlgValues: ["RSA-OAEP", "RSA-OAEP-256"],
    idTokenEncryptionEncValues: ["A128GCM", "A256GCM", "A128CBC-HS256"],
    userinfoEncryptionAlgValues: ["RSA-OAEP", "RSA-OAEP-256"],
    userinfoEncryptionEncValues: ["A128GCM", "A256GCM", "A128CBC-HS256"],
  },
  features: {
    devInteractions: { enabled: false },
    encryption: { enabled: true },
    claimsParameter: { enabled: true },
    requestObjects: { enabled: true, requireSignedRequestObject: false },
    jwtUserinfo: { enabled: true },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (ctx, id) => {
    const claims = config.people[id];
    if (!claims) return undefined;
    return { accountId: id, claims: () => ({ sub: id, ...claims }) };
  },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60, AccessToken: 600 },
  renderError: (ctx, out) => {
    ctx.type = "html";
    ctx.body = `<!DOCTYPE html><html lang="en"><title>Error</title><main><h1>${out.error}</h1><p>${out.error_description ?? ""}</p></main></html>`;
  },
});

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid) {
  const people = Object.entries(config.people)
    .map(
      ([id, claims]) =>
        `<li><form method="post" action="/interaction/${uid}/login"><input type="hidden" name="person" value="${escape(id)}"><button type="submit">${escape(claims.name ?? claims.given_name ?? id)}</button></form></li>`,
    )
    .join("");
  return `<!DOCTYPE html><html lang="fi"><head><meta charset="utf-8"><title>Testitunnistus</title></head><body><main><h1>Testitunnistus</h1><ul>${people}</ul><form method="post" action="/interaction/${uid}/cancel"><button type="submit">Keskeytä</button></form></main></body></html>`;
}

async function readBody(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

async function login(req, res, person) {
  const details = await provider.interactionDetails(req, res);
  if (!config.people[person]) {
    res.writeHead(400).end("no such person");
    return;
  }
  const asked = (details.params.acr_values || "").split(" ").filter(Boolean);
  const acr = forceAcr || asked.find((value) => config.acr_values.includes(value)) || config.acr_values[0];
  const grant = new provider.Grant({ accountId: person, clientId: details.params.client_id });
  grant.addOIDCScope("openid profile");
  grant.addOIDCClaims(["sub", ...personClaims]);
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: person, acr, amr: ["pwd"] }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

const handle = provider.callback();

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, config.issuer);
    const interaction = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|cancel))?$/);
    if (url.pathname === "/_control/force_acr" && req.method === "POST") {
      forceAcr = (await readBody(req)).trim() || null;
      res.writeHead(204).end();
      return;
    }
    if (interaction) {
      const [, uid, action] = interaction;
      if (!action && req.method === "GET") {
        await provider.interactionDetails(req, res);
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(loginPage(uid));
        return;
      }
      if (action === "login") {
        const person =
          req.method === "POST"
            ? new URLSearchParams(await readBody(req)).get("person")
            : url.searchParams.get("person");
        await login(req, res, person);
        return;
      }
      if (action === "cancel") {
        await provider.interactionFinished(
          req,
          res,
          { error: "access_denied", error_description: "the person cancelled" },
          { mergeWithLastSubmission: false },
        );
        return;
      }
    }
    handle(req, res);
  } catch (error) {
    console.error(error);
    if (!res.headersSent) res.writeHead(500).end(String(error));
  }
});

server.listen(config.port, "127.0.0.1", () => {
  console.log(`ready ${config.issuer}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
