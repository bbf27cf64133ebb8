// The worker's console for the advice chat (docs/chat.md): duty, the queue, and the chats held,
// each with its log, answer box and actions (end with a topic, pass on, offer a booking, the
// danger steps, block). The server keeps everything; a reloaded console is given it all again.

import { readStrings, translator } from "../video/text.js";
import { ChatSocket, lineItem } from "./socket.js";

const ERRORS = {
  "queue-empty": "queue_empty",
  "at-capacity": "at_capacity",
  "no-such-worker": "no_such_worker",
  "no-such-service": "no_such_service",
  "unknown-service": "unknown_service",
};

class Console {
  constructor(root) {
    this.t = translator(readStrings(document.getElementById("console-strings")));
    this.status = document.getElementById("console-status");
    this.announcer = document.getElementById("console-announcer");
    this.error = document.getElementById("console-error");
    this.queueList = document.getElementById("queue");
    this.queueEmpty = document.getElementById("queue-empty");
    this.chatsBox = document.getElementById("chats");
    this.chatsEmpty = document.getElementById("chats-empty");
    this.template = document.getElementById("chat-template");
    this.duty = [...document.querySelectorAll("#duty input[type=checkbox]")];
    this.queues = new Map(); // service id → the first ones waiting
    this.counts = new Map(); // service id → how many wait
    this.queueTitle = document.getElementById("queue-title");
    this.queueTitleText = this.queueTitle.textContent;
    this.chats = new Map(); // chat id → {element, lines}
    this.colleagues = [];
    this.count = 0;
    this.socket = new ChatSocket({ path: root.dataset.wsPath, hello: () => ({ type: "hello", v: 1 }) });
    this.socket.addEventListener("message", (event) => this.onMessage(event.detail.message));
    this.socket.addEventListener("status", (event) => {
      const state = event.detail.state;
      this.status.textContent = this.t(state === "open" ? "connected" : state);
    });
  }

  start() {
    for (const box of this.duty) {
      box.addEventListener("change", () => {
        this.socket.send({ type: "duty", services: this.duty.filter((b) => b.checked).map((b) => b.value) });
      });
    }
    document.getElementById("take").addEventListener("click", () => {
      this.showError("");
      this.socket.send({ type: "take" });
    });
    this.socket.start();
  }

  onMessage(message) {
    switch (message.type) {
      case "welcome":
        this.setDuty(message.services);
        for (const chat of message.chats) this.openChat(chat, { quiet: true });
        return undefined;
      case "duty":
        return this.setDuty(message.services);
      case "queue":
        this.queues.set(message.service, message.waiting);
        this.counts.set(message.service, message.count);
        return this.renderQueue();
      case "colleagues":
        this.colleagues = message.workers;
        return this.renderColleagues();
      case "chat":
        return this.openChat(message);
      case "line":
        return this.addLine(message.chat, message);
      case "typing":
        return this.inChat(message.chat, (chat) => {
          chat.element.querySelector(".chat__typing").textContent = message.on ? this.t("typing") : "";
        });
      case "seen":
        return this.inChat(message.chat, (chat) => chat.element.querySelector(".chat__state").replaceChildren(this.t("seen")));
      case "person-away":
        return this.chatState(message.chat, this.t("person_away"));
      case "person-back":
        return this.chatState(message.chat, this.t("person_back"));
      case "booking-offered":
        return this.chatState(message.chat, this.t("booking_offered"));
      case "danger-steps":
        return this.inChat(message.chat, (chat) => {
          const steps = chat.element.querySelector(".chat__danger");
          steps.hidden = false;
          steps.querySelector("h4").tabIndex = -1;
          steps.querySelector("h4").focus();
        });
      case "transferred":
        return this.closeChat(message.chat, this.t("transferred"));
      case "ended":
        return this.closeChat(message.chat, this.t(message.reason === "worker" ? "ended" : `ended_${message.reason}`));
      case "error":
        if (ERRORS[message.code]) this.showError(this.t(ERRORS[message.code]));
        return undefined;
      default:
        return undefined;
    }
  }

  setDuty(services) {
    for (const box of this.duty) box.checked = services.includes(box.value);
  }

  renderQueue() {
    const waiting = [...this.queues.values()].flat();
    this.queueList.replaceChildren(
      ...waiting.map((entry) => {
        const item = document.createElement("li");
        item.className = "item-list__item";
        const when = document.createElement("p");
        when.textContent = this.t("waiting_for", { minutes: Math.floor(entry.waited_seconds / 60) });
        if (entry.transferred) when.textContent += ` · ${this.t("transferred_tag")}`;
        const preview = document.createElement("p");
        preview.className = "chat__preview";
        preview.textContent = entry.preview;
        item.append(when, preview);
        return item;
      }),
    );
    this.queueEmpty.hidden = waiting.length > 0;
    // The server lists the first ones waiting and counts them all.
    const count = [...this.counts.values()].reduce((sum, n) => sum + n, 0);
    this.queueTitle.textContent = count > 0 ? `${this.queueTitleText} (${count})` : this.queueTitleText;
  }

  renderColleagues() {
    for (const chat of this.chats.values()) this.fillTransfer(chat.element);
  }

  fillTransfer(element) {
    const select = element.querySelector("[data-name=transfer]");
    for (const option of [...select.querySelectorAll("option[data-worker]")]) option.remove();
    for (const colleague of this.colleagues) {
      const option = document.createElement("option");
      option.value = `worker:${colleague.id}`;
      option.dataset.worker = "1";
      option.textContent = colleague.name;
      select.prepend(option);
    }
  }

  openChat(chat, { quiet = false } = {}) {
    if (this.chats.has(chat.chat)) return;
    this.count += 1;
    const element = this.template.content.firstElementChild.cloneNode(true);
    const id = `chat-${this.count}`;
    element.id = id;
    element.setAttribute("aria-labelledby", `${id}-title`);
    const title = element.querySelector(".chat__title");
    title.id = `${id}-title`;
    title.textContent = this.t("chat_with", { n: this.count });
    element.querySelector(".chat__who").textContent = chat.identified_as
      ? this.t("identified_as", { name: chat.identified_as })
      : this.t("anonymous");
    for (const label of element.querySelectorAll("[data-for]")) {
      label.htmlFor = `${id}-${label.dataset.for}`;
      element.querySelector(`[data-name=${label.dataset.for}]`).id = `${id}-${label.dataset.for}`;
    }
    element.querySelector(".chat__notes").replaceChildren(
      ...chat.notes.map((note) => Object.assign(document.createElement("li"), { textContent: note })),
    );
    const entry = { element, lines: new Set() };
    this.chats.set(chat.chat, entry);
    this.bindChat(chat.chat, element);
    this.fillTransfer(element);
    this.chatsBox.append(element);
    this.chatsEmpty.hidden = true;
    for (const line of chat.lines) this.addLine(chat.chat, line, { quiet: true });
    if (!quiet) {
      this.announce(this.t("new_chat"));
      title.focus();
    }
  }

  bindChat(chatId, element) {
    const text = element.querySelector("[data-name=text]");
    element.querySelector(".chat__form").addEventListener("submit", (event) => {
      event.preventDefault();
      const words = text.value.trim();
      if (!words) return;
      this.socket.send({ type: "say", chat: chatId, text: words });
      text.value = "";
      this.typingOn = false;
    });
    text.addEventListener("input", () => {
      const on = text.value.length > 0;
      if (on !== this.typingOn) this.socket.send({ type: "typing", chat: chatId, on });
      this.typingOn = on;
    });
    const saved = element.querySelector("[data-name=saved]");
    saved?.addEventListener("change", () => {
      if (!saved.value) return;
      text.value = text.value ? `${text.value}\n${saved.value}` : saved.value;
      saved.value = "";
      text.focus();
    });
    const act = (name, handler) => element.querySelector(`[data-action=${name}]`).addEventListener("click", handler);
    act("end", () => this.socket.send({ type: "end", chat: chatId, topic: element.querySelector("[data-name=topic]").value }));
    act("offer-booking", () => this.socket.send({ type: "offer-booking", chat: chatId }));
    act("danger", () => this.socket.send({ type: "danger", chat: chatId }));
    act("block", () => {
      if (window.confirm(this.t("confirm_block"))) this.socket.send({ type: "block", chat: chatId });
    });
    act("transfer", () => {
      const [kind, target] = element.querySelector("[data-name=transfer]").value.split(":");
      const note = element.querySelector("[data-name=note]").value.trim();
      this.socket.send({ type: "transfer", chat: chatId, [kind === "worker" ? "worker" : "service"]: target, note });
    });
  }

  addLine(chatId, line, { quiet = false } = {}) {
    this.inChat(chatId, (chat) => {
      if (chat.lines.has(line.seq)) return;
      chat.lines.add(line.seq);
      const log = chat.element.querySelector(".chat__log");
      log.append(lineItem(line, (from, name) => (from === "person" ? this.t("person") : name || this.t("you"))));
      log.lastElementChild.scrollIntoView({ block: "nearest" });
      if (line.from === "person") {
        chat.element.querySelector(".chat__typing").textContent = "";
        this.socket.send({ type: "seen", chat: chatId, seq: line.seq });
        if (!quiet) this.announce(`${this.t("new_line")}: ${line.text}`);
      }
    });
  }

  chatState(chatId, text) {
    this.inChat(chatId, (chat) => {
      chat.element.querySelector(".chat__state").textContent = text;
    });
  }

  closeChat(chatId, text) {
    this.inChat(chatId, (chat) => {
      chat.element.remove();
      this.chats.delete(chatId);
    });
    this.chatsEmpty.hidden = this.chats.size > 0;
    this.announce(text);
    this.status.textContent = text;
  }

  inChat(chatId, work) {
    const chat = this.chats.get(chatId);
    if (chat) work(chat);
  }

  announce(text) {
    this.announcer.textContent = text;
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }
}

const root = document.getElementById("console-root");
if (root) new Console(root).start();
