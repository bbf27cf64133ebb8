// The host's and moderators' console of a group discussion (docs/groups.md): messages waiting
// for approval (approve, reject), the discussion (hide), the participants (mute, unmute, remove),
// writing to everyone, and ending the discussion. The server knows them by their staff login.

import { announce, messageItem, nameOf, readStrings, setState, translator } from "./messages.js";
import { LiveSocket as GroupSocket } from "../live-socket.js";

const ERRORS = { "no-message": "error", "no-member": "error", "slow-down": "slow_down" };

class Console {
  constructor(root) {
    this.session = root.dataset.session;
    this.max = Number(root.dataset.max);
    this.t = translator(readStrings(document.getElementById("group-strings")));
    this.status = document.getElementById("group-status");
    this.count = document.getElementById("group-count");
    this.announcer = document.getElementById("group-announcer");
    this.error = document.getElementById("group-error");
    this.held = document.getElementById("group-held");
    this.heldEmpty = document.getElementById("group-held-empty");
    this.heldTitle = document.getElementById("held-title");
    this.log = document.getElementById("group-log");
    this.people = document.getElementById("group-people");
    this.form = document.getElementById("group-say");
    this.text = document.getElementById("group-text");
    this.textError = document.getElementById("group-text-error");
    this.endButton = document.getElementById("group-end");
    this.seen = 0;
    this.socket = new GroupSocket({
      path: root.dataset.wsPath,
      hello: () => ({ type: "hello", v: 1, session: this.session, seen: this.seen }),
    });
    this.socket.addEventListener("message", (event) => this.onMessage(event.detail.message));
    this.socket.addEventListener("status", (event) => {
      const state = event.detail.state;
      if (state !== "open") this.status.textContent = this.t(state);
    });
    this.socket.addEventListener("closed", (event) => this.finish(this.t(event.detail.code === 4410 ? "ended" : "error")));
  }

  start() {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.say();
    });
    this.endButton.addEventListener("click", () => {
      if (window.confirm(this.t("confirm_end"))) this.socket.send({ type: "end" });
    });
    this.heldTitle.tabIndex = -1;
    this.socket.start();
  }

  onMessage(message) {
    switch (message.type) {
      case "welcome":
        for (const item of message.messages) this.show(item, { quiet: true });
        this.seen = Math.max(this.seen, message.mark);
        this.status.textContent = this.t("connected");
        this.count.textContent = this.t("members", { count: message.members });
        return undefined;
      case "message":
        return this.show(message);
      case "members":
        this.count.textContent = this.t("members", { count: message.count });
        if (message.people) this.renderPeople(message.people);
        return undefined;
      case "ended":
        return this.finish(this.t(`ended_${message.reason}`) || this.t("ended"));
      case "error":
        return this.showError(this.t(ERRORS[message.code] ?? "error"));
      default:
        return undefined;
    }
  }

  show(message, { quiet = false } = {}) {
    this.seen = Math.max(this.seen, message.mark);
    const id = `group-message-${message.seq}`;
    const known = document.getElementById(id);
    const hadFocus = known?.contains(document.activeElement);
    const next = known?.nextElementSibling;
    known?.remove();
    if (message.state === "held") {
      this.held.append(this.heldItem(message));
      if (!quiet) this.announce(`${nameOf(message, this.t)}: ${message.text}`);
    } else if (message.state !== "rejected") {
      const item = messageItem(message, this.t);
      if (message.state === "approved") item.append(this.actions([[this.t("hide"), { type: "hide", seq: message.seq }]], message));
      this.insertInOrder(item);
      if (!quiet && known === null && message.role === "participant") {
        this.announce(`${nameOf(message, this.t)}: ${message.text}`);
      }
    }
    this.heldEmpty.hidden = this.held.childElementCount > 0;
    // The item acted on is gone: go on to the next one waiting, or to the list's heading.
    if (hadFocus) {
      const target = next?.querySelector("button") ?? this.held.querySelector("button");
      (target ?? this.heldTitle).focus();
    }
  }

  heldItem(message) {
    const item = messageItem(message, this.t);
    item.append(
      this.actions(
        [
          [this.t("approve"), { type: "approve", seq: message.seq }],
          [this.t("reject"), { type: "reject", seq: message.seq }],
        ],
        message,
      ),
    );
    return item;
  }

  actions(buttons, message) {
    const group = document.createElement("div");
    group.className = "button-group";
    for (const [label, frame] of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button button--secondary button--small";
      button.textContent = label;
      const context = document.createElement("span");
      context.className = "visually-hidden";
      context.textContent = ` ${this.t("message_from", { name: message.nickname })}`;
      button.append(context);
      button.addEventListener("click", () => {
        this.showError("");
        this.socket.send(frame);
      });
      group.append(button);
    }
    return group;
  }

  insertInOrder(item) {
    const seq = Number(item.dataset.seq);
    const after = [...this.log.children].find((other) => Number(other.dataset.seq) > seq);
    this.log.insertBefore(item, after ?? null);
    if (!after) item.scrollIntoView({ block: "nearest" });
  }

  renderPeople(people) {
    const items = people.map((person) => {
      const item = document.createElement("li");
      item.className = "group__person";
      const name = document.createElement("span");
      name.textContent = nameOf({ ...person, mine: false }, this.t);
      item.append(name);
      if (person.muted) item.append(" ", tag(this.t("muted_tag")));
      if (!person.connected) item.append(" ", tag(this.t("away_tag")));
      if (person.role === "participant") {
        const group = document.createElement("div");
        group.className = "button-group";
        const mute = person.muted ? "unmute" : "mute";
        group.append(
          this.personButton(this.t(mute), person, () => this.socket.send({ type: mute, member: person.member })),
          this.personButton(this.t("remove"), person, () => {
            if (window.confirm(this.t("confirm_remove", { name: person.nickname }))) {
              this.socket.send({ type: "remove", member: person.member });
            }
          }),
        );
        item.append(group);
      }
      return item;
    });
    this.people.replaceChildren(...items);
  }

  personButton(label, person, action) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button button--secondary button--small";
    button.textContent = label;
    const context = document.createElement("span");
    context.className = "visually-hidden";
    context.textContent = ` ${person.nickname}`;
    button.append(context);
    button.addEventListener("click", () => {
      this.showError("");
      action();
    });
    return button;
  }

  say() {
    const text = this.text.value.trim();
    if (!text) return this.problem(this.t("empty"));
    if (text.length > this.max) return this.problem(this.t("too_long", { max: this.max }));
    this.problem("");
    if (this.socket.send({ type: "say", text })) this.text.value = "";
    return undefined;
  }

  finish(text) {
    this.socket.stop();
    this.status.textContent = text;
    this.announce(text);
    this.held.replaceChildren();
    this.log.replaceChildren();
    this.people.replaceChildren();
    this.form.hidden = true;
    this.endButton.hidden = true;
  }

  problem(text) {
    this.textError.textContent = text;
    this.textError.hidden = !text;
    if (text) this.text.setAttribute("aria-invalid", "true");
    else this.text.removeAttribute("aria-invalid");
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }

  announce(text) {
    announce(this.announcer, text);
  }
}

function tag(text) {
  const element = document.createElement("strong");
  element.className = "tag tag--grey";
  element.textContent = text;
  return element;
}

const root = document.getElementById("console-root");
if (root) new Console(root).start();
