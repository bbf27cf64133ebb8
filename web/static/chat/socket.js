// The advice chat's socket is the service's live socket (../live-socket.js); and how a line of a
// conversation is shown.

export { LiveSocket as ChatSocket } from "../live-socket.js";

/** One line of a conversation as a list item: who, when, and the words (as text, never HTML). */
export function lineItem({ seq, from, name, text, at }, who) {
  const item = document.createElement("li");
  item.className = `chat__line chat__line--${from}`;
  item.dataset.seq = String(seq);
  const meta = document.createElement("p");
  meta.className = "chat__meta";
  const time = new Date(at);
  meta.textContent = `${who(from, name)} · ${time.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" })}`;
  const body = document.createElement("p");
  body.className = "chat__text";
  body.textContent = text;
  item.append(meta, body);
  return item;
}
