// The host's list of people waiting to be let in, each with their device check, and the
// announcements of who arrives and who stops waiting.

import { PeopleList } from "./people.js";

const LEFT_LOBBY_GRACE_MS = 1500;

export class Lobby {
  #list;
  #empty;
  #t;
  #formats;
  #announce;
  #isInMeeting;
  #waiting = [];

  /** @param isInMeeting {(id: string) => boolean} */
  constructor({ list, empty, fallbackFocus, t, formats, send, announce, isInMeeting }) {
    this.#empty = empty;
    this.#t = t;
    this.#formats = formats;
    this.#announce = announce;
    this.#isInMeeting = isInMeeting;
    this.#list = new PeopleList({
      list,
      t,
      fallbackFocus,
      actions: [
        {
          key: "admit",
          className: "",
          onClick: (participant) => this.#admit(participant, send),
        },
        {
          key: "decline",
          className: "button--secondary",
          onClick: (participant) => send({ type: "decline", participant: participant.id }),
        },
      ],
    });
  }

  update(waiting) {
    const before = new Set(this.#waiting.map((participant) => participant.id));
    const now = new Set(waiting.map((participant) => participant.id));
    for (const participant of waiting) {
      if (!before.has(participant.id)) this.#announce(this.#t("lobby_arrived", { name: participant.name }));
    }
    for (const participant of this.#waiting) {
      if (now.has(participant.id)) continue;
      // Someone admitted is announced as joining (its peer-joined may come just after this
      // update); only someone who went away from the lobby is worth a word of its own.
      setTimeout(() => {
        if (!this.#isInMeeting(participant.id) && !this.#waiting.some((other) => other.id === participant.id)) {
          this.#announce(this.#t("lobby_left", { name: participant.name }));
        }
      }, LEFT_LOBBY_GRACE_MS);
    }
    this.#waiting = waiting;
    this.#list.update(
      waiting,
      (participant) => this.#describeDeviceCheck(participant.device_check),
      (participant) => this.#describeIdentity(participant.identity),
    );
    this.#empty.hidden = waiting.length > 0;
  }

  #admit(participant, send) {
    // Someone other than the booking's person identified: the host lets them in knowingly.
    if (participant.identity?.mismatch) {
      if (!window.confirm(this.#t("confirm_mismatch", { name: participant.name }))) return;
      send({ type: "admit", participant: participant.id, confirm_mismatch: true });
      return;
    }
    send({ type: "admit", participant: participant.id });
  }

  #describeIdentity(identity) {
    if (!identity) return null;
    if (identity.mismatch) return [this.#t("identity_mismatch"), "red"];
    const lang = this.#formats.lang;
    const text = this.#t("identified_with", {
      method: identity.method[lang] ?? identity.method.fi,
      assurance: this.#t(identity.assurance),
      time: this.#formats.moment(new Date(identity.at)),
    });
    return [text, "green"];
  }

  #describeDeviceCheck(check) {
    if (!check) return [this.#t("check_none"), "grey"];
    const label = this.#t(check.passed ? "check_passed" : "check_failed");
    const tone = check.passed ? "green" : "red";
    if (check.rtt_ms === null && check.loss === null) return [label, tone];
    const detail = this.#t("quality_detail", {
      rtt: check.rtt_ms === null ? "–" : this.#formats.integer.format(check.rtt_ms),
      loss: check.loss === null ? "–" : this.#formats.percent.format(check.loss),
    });
    return [`${label} (${detail})`, tone];
  }
}
