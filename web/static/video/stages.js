// The page shows one stage at a time: the lobby, the meeting room, or why we are not in the
// meeting ("fatal").

import { byId } from "./dom.js";

const STAGES = ["lobby", "room", "fatal"];

export class Stages {
  #current = "";

  get current() {
    return this.#current;
  }

  show(name, { focus = false } = {}) {
    this.#current = name;
    for (const stage of STAGES) byId(`${stage}-stage`).hidden = stage !== name;
    if (focus) byId(`${name}-title`).focus();
  }

  showFatal(title, text) {
    byId("fatal-title").textContent = title;
    byId("fatal-text").textContent = text;
    byId("fatal-text").hidden = !text;
    this.show("fatal", { focus: true });
  }
}
