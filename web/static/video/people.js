// Lists of people: who waits in the lobby (the host admits or declines them) and who is in the
// meeting (the host may remove them). Items are updated in place, not redrawn, so a keyboard
// user's focus stays on the button they are on while the lists change around it.

export class PeopleList {
  #list;
  #t;
  #actions;
  #items = new Map();
  #fallbackFocus;

  /**
   * @param actions  [{key: "admit", className, onClick(participant), when(participant)}...]:
   *   buttons on every item for which `when` (if given) says yes
   * @param fallbackFocus  where focus goes when the focused item disappears
   */
  constructor({ list, t, actions = [], fallbackFocus = null }) {
    this.#list = list;
    this.#t = t;
    this.#actions = actions;
    this.#fallbackFocus = fallbackFocus;
  }

  /**
   * Make the list show exactly these participants, in this order.
   * @param describe  participant => [text, tone]: the line under the role (a device check)
   * @param describeMore  participant => [text, tone] or null: a second line (an identity)
   */
  update(participants, describe, describeMore = () => null) {
    const wanted = new Set(participants.map((participant) => participant.id));
    for (const id of [...this.#items.keys()]) {
      if (!wanted.has(id)) this.#remove(id);
    }
    for (const participant of participants) {
      let entry = this.#items.get(participant.id);
      if (!entry) {
        entry = this.#create(participant);
        this.#items.set(participant.id, entry);
      }
      entry.participant = participant;
      entry.name.textContent = participant.name;
      entry.role.textContent = this.#t(`role_${participant.role}`);
      const [text, tone] = describe(participant);
      entry.detail.textContent = text;
      entry.detail.className = `tag tag--${tone} video-people__detail`;
      entry.detail.hidden = !text;
      const [more, moreTone] = describeMore(participant) ?? ["", "grey"];
      entry.more.textContent = more;
      entry.more.className = `tag tag--${moreTone} video-people__detail`;
      entry.more.hidden = !more;
      this.#list.append(entry.item);
    }
  }

  #create(participant) {
    const item = document.createElement("li");
    item.className = "item-list__item video-people__item";
    item.dataset.participantId = participant.id;
    const about = document.createElement("div");
    const name = document.createElement("p");
    name.className = "item-list__title video-people__name";
    const role = document.createElement("p");
    role.className = "video-people__role";
    const detail = document.createElement("p");
    detail.className = "tag tag--grey video-people__detail";
    const more = document.createElement("p");
    more.hidden = true;
    about.append(name, role, detail, more);
    item.append(about);
    const entry = { item, name, role, detail, more, participant };
    const actions = this.#actions.filter((action) => !action.when || action.when(participant));
    if (actions.length) {
      const buttons = document.createElement("div");
      buttons.className = "video-people__actions";
      for (const action of actions) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = `button button--small ${action.className}`;
        // The visible word first, then the name for screen reader users: "Admit Liisa Asiakas".
        const hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = ` ${participant.name}`;
        button.append(this.#t(action.key), hidden);
        button.addEventListener("click", () => action.onClick(entry.participant));
        buttons.append(button);
      }
      item.append(buttons);
    }
    return entry;
  }

  #remove(id) {
    const entry = this.#items.get(id);
    this.#items.delete(id);
    if (entry.item.contains(document.activeElement)) {
      const next = entry.item.nextElementSibling ?? entry.item.previousElementSibling;
      const target = next?.querySelector("button") ?? this.#fallbackFocus;
      entry.item.remove();
      target?.focus();
      return;
    }
    entry.item.remove();
  }
}
