// One message of a group discussion as a list item: who (with the host's or a moderator's
// role), when, and the words, always as text, never as HTML. Shared by the room and the console.

export function messageItem(message, t) {
  const item = document.createElement("li");
  item.className = `group__message group__message--${message.role}`;
  item.id = `group-message-${message.seq}`;
  item.dataset.seq = String(message.seq);
  const meta = document.createElement("p");
  meta.className = "group__meta";
  const who = document.createElement("span");
  who.className = "group__who";
  who.textContent = nameOf(message, t);
  const time = new Date(message.at);
  const when = document.createElement("span");
  when.textContent = ` · ${time.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" })}`;
  meta.append(who, when);
  const state = document.createElement("strong");
  state.className = "group__state tag tag--grey";
  meta.append(" ", state);
  const body = document.createElement("p");
  body.className = "group__text";
  body.textContent = message.text;
  item.append(meta, body);
  setState(item, message.state, t);
  return item;
}

/** The nickname, with "(you)", "(host)" or "(moderator)" as it applies. */
export function nameOf(message, t) {
  const marks = [];
  if (message.role === "host" || message.role === "moderator") marks.push(t(message.role));
  if (message.mine) marks.push(t("you"));
  return marks.length ? `${message.nickname} (${marks.join(", ")})` : message.nickname;
}

export function setState(item, state, t) {
  item.dataset.state = state;
  const tag = item.querySelector(".group__state");
  const label = { held: t("held"), rejected: t("rejected"), hidden: t("hidden") }[state] ?? "";
  tag.textContent = label;
  tag.hidden = !label;
}

export function readStrings(element) {
  try {
    return JSON.parse(element.textContent);
  } catch {
    return {};
  }
}

export function translator(strings) {
  return (key, values = {}) =>
    (strings[key] ?? key).replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

/** Said through the live region: each as a paragraph of its own, so that a screen reader
 * announces it even when it is the same as the one before; the last few are kept. */
export function announce(region, text) {
  const line = document.createElement("p");
  line.textContent = text;
  region.append(line);
  while (region.childElementCount > 3) region.firstElementChild.remove();
}
