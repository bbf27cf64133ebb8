// The host's button that ends the meeting for everyone, once they confirm it.

import { byId } from "./dom.js";

export function bindEndMeeting(send) {
  const on = (id, handler) => document.getElementById(id)?.addEventListener("click", handler);
  on("end-meeting", () => {
    byId("end-confirm").hidden = false;
    byId("end-confirm-text").focus();
  });
  on("end-no", () => {
    byId("end-confirm").hidden = true;
    byId("end-meeting").focus();
  });
  on("end-yes", () => send({ type: "end" }));
}
