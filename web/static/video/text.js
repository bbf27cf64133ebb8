// Translated UI text and locale-aware numbers and times for the video room.
// The server renders the strings into the page (a JSON block), already in the reader's language,
// with Python-style %(name)s placeholders so one catalog serves templates and scripts.

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

export class Formats {
  constructor(lang) {
    this.lang = lang;
    this.integer = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
    this.percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
    this.milliseconds = new Intl.NumberFormat(lang, {
      style: "unit",
      unit: "millisecond",
      maximumFractionDigits: 0,
    });
    this.clock = new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit" });
    this.dateAndClock = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  }

  moment(date) {
    const today = new Date().toDateString() === date.toDateString();
    return (today ? this.clock : this.dateAndClock).format(date);
  }
}
