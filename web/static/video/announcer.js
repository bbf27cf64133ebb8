// Polite announcements for screen readers: joins, leaves, admission, chat.

// Long enough to be read out, short enough that the live region never grows into a transcript.
const ANNOUNCEMENT_LIFETIME_MS = 15000;

/** @returns {(text: string) => void} */
export function announcer(region) {
  return (text) => {
    const line = document.createElement("p");
    line.textContent = text;
    region.append(line);
    setTimeout(() => line.remove(), ANNOUNCEMENT_LIFETIME_MS);
  };
}
