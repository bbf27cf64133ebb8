// A participant's side of a group discussion (docs/groups.md): join with a nickname, read and
// write, hear new messages through the live region. The resume token lives in this tab's
// sessionStorage only, and is wiped on leaving, at the end, and by "Exit this page".

import { announce, messageItem, nameOf, readStrings, setState, translator } from "./messages.js";
import { LiveSocket as GroupSocket } from "../live-socket.js";

const CLOSED = {
  4403: "removed",
  4404: "no_session",
  4410: "ended",
  4413: "full",
  4425: "not_yet",
};

class Room {
  constructor(root) {
    this.session = root.dataset.session;
    this.max = Number(root.dataset.max);
    this.storage = `kohtaamo-group-${this.session}`;
    this.t = translator(readStrings(document.getElementById("group-strings")));
    this.join = document.getElementById("group-join");
    this.nickname = document.getElementById("group-nickname");
    this.nicknameError = document.getElementById("group-nickname-error");
    this.room = document.getElementById("group-room");
    this.status = document.getElementById("group-status");
    this.count = document.getElementById("group-count");
    this.announcer = document.getElementById("group-announcer");
    this.log = document.getElementById("group-log");
    this.form = document.getElementById("group-say");
    this.text = document.getElementById("group-text");
    this.textError = document.getElementById("group-text-error");
    this.leaveButton = document.getElementById("group-leave");
    this.saved = this.readSaved();
    this.seen = 0;
    this.joining = false;
    this.socket = new GroupSocket({
      path: root.dataset.wsPath,
      hello: () => ({
        type: "hello",
        v: 1,
        session: this.session,
        nickname: this.saved?.nickname ?? this.nickname.value,
        resume: this.saved?.resume ?? undefined,
        seen: this.seen,
      }),
    });
    this.socket.addEventListener("message", (event) => this.onMessage(event.detail.message));
    this.socket.addEventListener("status", (event) => this.onStatus(event.detail.state));
    this.socket.addEventListener("closed", (event) => this.onClosed(event.detail));
  }

  start() {
    this.join.addEventListener("submit", (event) => {
      event.preventDefault();
      this.enter();
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.say();
    });
    // Enter sends; Shift+Enter makes a new line.
    this.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.say();
      }
    });
    this.leaveButton.addEventListener("click", () => this.leave());
    // "Exit this page" leaves at once and leaves nothing behind in this tab.
    document.querySelector(".exit-this-page__button")?.addEventListener("click", () => {
      this.socket.send({ type: "leave" });
      this.socket.stop();
      sessionStorage.removeItem(this.storage);
    });
    if (this.saved) {
      this.showRoom();
      this.socket.start();
    } else {
      this.join.hidden = false;
    }
  }

  enter() {
    const nickname = this.nickname.value.trim();
    if (nickname.length < 2 || nickname.length > 30) return this.nicknameProblem("nickname-invalid");
    this.nicknameProblem("");
    this.seen = 0;
    this.joining = true;
    this.socket.start();
    return undefined;
  }

  showRoom() {
    this.join.hidden = true;
    this.room.hidden = false;
    this.text.disabled = false;
    this.form.querySelector("button[type=submit]").disabled = false;
  }

  onStatus(state) {
    if (state === "connecting" || state === "reconnecting") this.status.textContent = this.t(state);
  }

  onMessage(message) {
    switch (message.type) {
      case "welcome":
        return this.onWelcome(message);
      case "message":
      case "held":
        return this.show(message);
      case "hidden":
        return this.hide(message);
      case "members":
        this.count.textContent = this.t("members", { count: message.count });
        return undefined;
      case "muted":
        this.setStatus(this.t(message.on ? "muted" : "unmuted"));
        this.form.querySelector("button[type=submit]").disabled = message.on;
        return undefined;
      case "removed":
        return this.finish(this.t("removed"));
      case "ended":
        return this.finish(this.t(`ended_${message.reason}`) || this.t("ended"));
      case "error":
        if (message.code === "slow-down") this.problem(this.t("slow_down"));
        else if (message.code === "muted") this.problem(this.t("muted"));
        return undefined;
      default:
        return undefined;
    }
  }

  onWelcome(message) {
    if (message.resume) {
      this.saved = { resume: message.resume, nickname: message.nickname };
      sessionStorage.setItem(this.storage, JSON.stringify(this.saved));
    }
    this.showRoom();
    for (const item of message.messages) {
      if (item.type === "hidden") this.hide(item, { quiet: true });
      else this.show(item, { quiet: true });
    }
    this.seen = Math.max(this.seen, message.mark);
    this.count.textContent = this.t("members", { count: message.members });
    this.setStatus(this.t(message.muted ? "muted" : "connected"));
    this.form.querySelector("button[type=submit]").disabled = message.muted;
    if (this.joining) this.text.focus();
    this.joining = false;
  }

  show(message, { quiet = false } = {}) {
    this.seen = Math.max(this.seen, message.mark);
    const known = document.getElementById(`group-message-${message.seq}`);
    if (known) {
      setState(known, message.state, this.t);
      if (message.state === "rejected") known.remove();
      return;
    }
    if (message.state === "rejected") return;
    this.log.append(messageItem(message, this.t));
    this.log.lastElementChild?.scrollIntoView({ block: "nearest" });
    if (quiet) return;
    if (message.type === "held") this.setStatus(this.t("held_note"));
    else if (!message.mine) this.announce(`${nameOf(message, this.t)}: ${message.text}`);
  }

  hide(message, { quiet = false } = {}) {
    this.seen = Math.max(this.seen, message.mark);
    const known = document.getElementById(`group-message-${message.seq}`);
    if (!known) return;
    known.remove();
    if (!quiet) this.announce(this.t("hidden_note"));
  }

  say() {
    const text = this.text.value.trim();
    if (!text) return this.problem(this.t("empty"));
    if (text.length > this.max) return this.problem(this.t("too_long", { max: this.max }));
    this.problem("");
    if (this.socket.send({ type: "say", text })) this.text.value = "";
    return undefined;
  }

  leave() {
    this.socket.send({ type: "leave" });
    this.socket.stop();
    this.forget();
    this.log.replaceChildren();
    this.room.hidden = true;
    this.join.hidden = false;
    this.nicknameProblem("");
    this.announce(this.t("left"));
    this.nickname.focus();
  }

  finish(text) {
    this.socket.stop();
    this.forget();
    this.log.replaceChildren();
    this.setStatus(text);
    this.text.disabled = true;
    this.form.querySelector("button[type=submit]").disabled = true;
    this.leaveButton.hidden = true;
  }

  onClosed({ code, reason }) {
    if (code === 4422) {
      // The nickname was refused: ask again, saying why.
      this.forget();
      this.room.hidden = true;
      this.join.hidden = false;
      this.nicknameProblem(reason);
      this.nickname.focus();
      return;
    }
    const text = this.t(CLOSED[code] ?? "error");
    if (this.room.hidden) {
      this.nicknameProblem("", text);
      return;
    }
    this.finish(text);
  }

  nicknameProblem(code, text = "") {
    const shown = code ? this.t(code) : text;
    this.nicknameError.textContent = shown;
    this.nicknameError.hidden = !shown;
    this.nickname.closest(".form-group").classList.toggle("form-group--error", Boolean(code));
    if (code) {
      this.nickname.setAttribute("aria-invalid", "true");
      this.nickname.setAttribute("aria-describedby", "group-nickname-hint group-nickname-error");
    } else {
      this.nickname.removeAttribute("aria-invalid");
      this.nickname.setAttribute("aria-describedby", shown ? "group-nickname-hint group-nickname-error" : "group-nickname-hint");
    }
  }

  problem(text) {
    this.textError.textContent = text;
    this.textError.hidden = !text;
    if (text) this.text.setAttribute("aria-invalid", "true");
    else this.text.removeAttribute("aria-invalid");
  }

  setStatus(text) {
    this.status.textContent = text;
  }

  announce(text) {
    announce(this.announcer, text);
  }

  forget() {
    this.saved = null;
    this.seen = 0;
    sessionStorage.removeItem(this.storage);
  }

  readSaved() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.storage) ?? "null");
      return saved?.resume ? saved : null;
    } catch {
      return null;
    }
  }
}

const root = document.getElementById("group-root");
if (root) new Room(root).start();
