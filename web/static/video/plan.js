// The wellbeing plan in the meeting (docs/signaling.md, "The plan in the meeting").
//
// The host opens the client's plan beside the video; both edit its goals and actions, each
// field sent as the writer pauses, and see the other's changes as they arrive. The server keeps
// the plan with the room, so a page that reconnects receives `plan` again and redraws it. The
// host saves it as a new version; the client accepts that version on their own pages.

const TYPING_PAUSE_MS = 400;
const ERROR_CODES = new Set(["plan-unavailable", "plan-not-saved", "plan-saving", "no-plan", "plan-field"]);
const PARTS = [
  ["what", "text", "plan_what"],
  ["who", "text", "plan_who"],
  ["by", "date", "plan_by"],
];

export class PlanPanel {
  #isHost;
  #panel;
  #body;
  #status;
  #error;
  #openButton;
  #t;
  #messages;
  #send;
  #announce;
  #myPlansUrl;
  #live = null; // {id, goals, number, saving}
  #selfId = null;
  #timers = new Map(); // field name → pending send

  constructor({ isHost, panel, body, status, error, openButton, t, fieldMessages, send, announce, myPlansUrl }) {
    this.#isHost = isHost;
    this.#panel = panel;
    this.#body = body;
    this.#status = status;
    this.#error = error;
    this.#openButton = openButton;
    this.#t = t;
    this.#messages = fieldMessages ?? {};
    this.#send = send;
    this.#announce = announce;
    this.#myPlansUrl = myPlansUrl;
    openButton?.addEventListener("click", () => {
      this.#showError("");
      this.#send({ type: "plan-open" });
    });
  }

  /** Our participant id: the room echoes our own changes, which this page already shows. */
  welcome(selfId) {
    this.#selfId = selfId;
  }

  /** Handle a server message about the plan; returns true if it was one. */
  handle(message) {
    switch (message.type) {
      case "plan":
        this.#open(message);
        return true;
      case "plan-change":
        this.#changed(message);
        return true;
      case "plan-saved":
        this.#saved(message);
        return true;
      case "plan-closed":
        this.#closed();
        return true;
      case "error":
        if (!ERROR_CODES.has(message.code)) return false;
        this.#failed(message);
        return true;
      default:
        return false;
    }
  }

  /** Our seat was lost: the room sends the plan again once we are back in. */
  reset() {
    this.#forgetTyping();
    this.#live = null;
    this.#body.replaceChildren();
    this.#status.textContent = "";
    if (this.#isHost) this.#openButton.hidden = false;
    else this.#panel.hidden = true;
  }

  #open({ id, goals, number, saving }) {
    const fresh = this.#live?.id !== id;
    this.#live = { id, goals, number, saving: Boolean(saving) };
    this.#panel.hidden = false;
    if (this.#openButton) this.#openButton.hidden = true;
    this.#showError("");
    this.#render();
    if (fresh) {
      this.#status.textContent = this.#versionText();
      if (!this.#isHost) this.#announce(this.#t("plan_arrived"));
    }
  }

  #changed({ plan, field, value, from }) {
    const live = this.#live;
    if (!live || live.id !== plan || from === this.#selfId) return;
    const grew = setField(live.goals, field, value);
    if (grew) {
      this.#render();
      return;
    }
    const input = this.#body.querySelector(`[name="${field}"]`);
    // What we are typing ourselves wins on our screen; our own send follows it.
    if (input && !this.#timers.has(field)) input.value = value;
  }

  #saved({ number }) {
    if (this.#live) this.#live.number = number;
    const text = this.#t(this.#isHost ? "plan_saved_host" : "plan_saved_client", { number });
    this.#status.textContent = text;
    this.#announce(text);
    if (!this.#isHost && this.#myPlansUrl) {
      const link = document.createElement("a");
      link.href = this.#myPlansUrl;
      link.textContent = this.#t("plan_accept_link");
      this.#status.append(" ", link);
    }
  }

  #closed() {
    this.#announce(this.#t(this.#isHost ? "plan_closed_host" : "plan_closed_client"));
    this.reset();
  }

  #failed({ code, fields }) {
    if (code === "plan-saving") return this.#showError(this.#t("plan_wait"));
    if (code === "plan-not-saved") {
      if (this.#live) this.#live.saving = false;
      this.#render();
      this.#showFieldErrors(fields ?? {});
      return this.#showError(this.#t(fields ? "plan_check_fields" : "plan_not_saved"));
    }
    if (code === "plan-unavailable") {
      const first = Object.values(fields ?? {})[0];
      return this.#showError(first ? this.#message(first) : this.#t("plan_unavailable"));
    }
    return this.#showError(this.#t("plan_not_saved"));
  }

  #showError(text) {
    this.#error.textContent = text;
    this.#error.hidden = !text;
  }

  #versionText() {
    const number = this.#live?.number;
    return number ? this.#t("plan_version", { number }) : this.#t("plan_new");
  }

  #message(text) {
    return this.#messages[text] ?? text;
  }

  // ---- drawing -------------------------------------------------------------------------------

  #render() {
    const focused = document.activeElement?.name;
    const live = this.#live;
    const form = document.createElement("form");
    form.className = "video-plan__form";
    form.noValidate = true;
    form.addEventListener("submit", (event) => event.preventDefault());
    const goals = live.goals.length ? live.goals : [{ goal: "", actions: [] }];
    goals.forEach((goal, i) => form.append(this.#goalFields(goal, i)));
    if (goals.length < 8) {
      form.append(this.#button("plan_add_goal", "button--secondary", () => this.#addGoal()));
    }
    if (this.#isHost) {
      const actions = document.createElement("div");
      actions.className = "button-group";
      actions.append(
        this.#button("plan_save", "", () => this.#save()),
        this.#button("plan_close", "button--secondary", () => {
          this.#send({ type: "plan-close", plan: this.#live.id });
        }),
      );
      form.append(actions);
    } else {
      const hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = this.#t("plan_client_hint");
      form.append(hint);
    }
    for (const control of form.querySelectorAll("input, textarea, button")) control.disabled = live.saving;
    this.#body.replaceChildren(form);
    if (focused) this.#body.querySelector(`[name="${focused}"]`)?.focus();
  }

  #goalFields(goal, i) {
    const fieldset = document.createElement("fieldset");
    fieldset.className = "fieldset video-plan__goal";
    const legend = document.createElement("legend");
    legend.className = "fieldset__legend";
    legend.textContent = this.#t("plan_goal_n", { n: i + 1 });
    fieldset.append(legend, this.#field(`goals.${i}.goal`, "textarea", this.#t("plan_goal"), goal.goal));
    goal.actions.forEach((action, j) => {
      const group = document.createElement("fieldset");
      group.className = "fieldset video-plan__action";
      const caption = document.createElement("legend");
      caption.className = "fieldset__legend";
      caption.textContent = this.#t("plan_action_n", { n: j + 1 });
      group.append(caption);
      for (const [part, type, label] of PARTS) {
        group.append(this.#field(`goals.${i}.actions.${j}.${part}`, type, this.#t(label), action[part] ?? ""));
      }
      fieldset.append(group);
    });
    if (goal.actions.length < 6) {
      fieldset.append(this.#button("plan_add_action", "button--secondary", () => this.#addAction(i)));
    }
    return fieldset;
  }

  #field(name, type, labelText, value) {
    const id = `plan-${name.replaceAll(".", "-")}`;
    const group = document.createElement("div");
    group.className = "form-group";
    const label = document.createElement("label");
    label.className = "label";
    label.htmlFor = id;
    label.textContent = labelText;
    const error = document.createElement("p");
    error.className = "error-message";
    error.id = `${id}-error`;
    error.hidden = true;
    const input = document.createElement(type === "textarea" ? "textarea" : "input");
    if (type === "textarea") {
      input.className = "textarea";
      input.rows = 2;
    } else {
      input.className = "input";
      input.type = type;
    }
    input.id = id;
    input.name = name;
    input.value = value;
    input.addEventListener("input", () => this.#typed(name, input));
    input.addEventListener("change", () => this.#flush(name));
    group.append(label, error, input);
    return group;
  }

  #button(key, modifier, onClick) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `button ${modifier}`.trim();
    button.textContent = this.#t(key);
    button.addEventListener("click", onClick);
    return button;
  }

  #showFieldErrors(fields) {
    for (const [name, text] of Object.entries(fields)) {
      const id = `plan-${name.replaceAll(".", "-")}`;
      const error = document.getElementById(`${id}-error`);
      const input = document.getElementById(id);
      if (!error || !input) continue;
      error.textContent = this.#message(text);
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", error.id);
    }
  }

  // ---- editing -------------------------------------------------------------------------------

  #addGoal() {
    const goals = this.#live.goals;
    if (!goals.length) goals.push({ goal: "", actions: [] });
    goals.push({ goal: "", actions: [] });
    this.#render();
    this.#body.querySelector(`[name="goals.${goals.length - 1}.goal"]`)?.focus();
  }

  #addAction(i) {
    const goals = this.#live.goals;
    while (goals.length <= i) goals.push({ goal: "", actions: [] });
    goals[i].actions.push({ what: "", who: "", by: "" });
    this.#body.querySelector(`[name="goals.${i}.goal"]`)?.blur();
    this.#render();
    this.#body.querySelector(`[name="goals.${i}.actions.${goals[i].actions.length - 1}.what"]`)?.focus();
  }

  #typed(name, input) {
    setField(this.#live.goals, name, input.value);
    clearTimeout(this.#timers.get(name));
    this.#timers.set(
      name,
      setTimeout(() => this.#flush(name), TYPING_PAUSE_MS),
    );
  }

  #flush(name) {
    if (!this.#timers.has(name)) return;
    clearTimeout(this.#timers.get(name));
    this.#timers.delete(name);
    const input = this.#body.querySelector(`[name="${name}"]`);
    if (!input || !this.#live) return;
    // Rows begun on this page but not yet sent are sent first, so the server can place the field.
    for (const field of rowsBefore(this.#live.goals, name)) {
      this.#send({ type: "plan-change", plan: this.#live.id, field, value: "" });
    }
    this.#send({ type: "plan-change", plan: this.#live.id, field: name, value: input.value });
  }

  #save() {
    for (const name of [...this.#timers.keys()]) this.#flush(name);
    this.#live.saving = true;
    this.#status.textContent = this.#t("plan_saving");
    this.#send({ type: "plan-save", plan: this.#live.id });
  }

  #forgetTyping() {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}

/** Set `goals.<i>.goal` or `goals.<i>.actions.<j>.<part>`; true if a row had to be begun. */
function setField(goals, field, value) {
  const parts = field.split(".");
  const i = Number(parts[1]);
  let grew = false;
  while (goals.length <= i) {
    goals.push({ goal: "", actions: [] });
    grew = true;
  }
  if (parts[2] === "goal") {
    goals[i].goal = value;
    return grew;
  }
  const j = Number(parts[3]);
  while (goals[i].actions.length <= j) {
    goals[i].actions.push({ what: "", who: "", by: "" });
    grew = true;
  }
  goals[i].actions[j][parts[4]] = value;
  return grew;
}

/** The fields that begin the rows `field` needs, where this page began them and has not sent
 * them: the server places a goal or an action only right after the last one it has. */
function rowsBefore(goals, field) {
  const [, i, kind, j] = field.split(".");
  const fields = [];
  const goalsNeeded = kind === "goal" ? Number(i) : Number(i) + 1;
  for (let g = 0; g < goalsNeeded; g += 1) {
    if (!goals[g]?.goal) fields.push(`goals.${g}.goal`);
  }
  if (kind === "actions") {
    for (let a = 0; a < Number(j); a += 1) {
      if (!goals[i]?.actions[a]?.what) fields.push(`goals.${i}.actions.${a}.what`);
    }
  }
  return fields;
}
