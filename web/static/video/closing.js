// What the page says when the server closes our connection to the meeting for good. The close
// codes are docs/signaling.md's.

export const ROOM_NOT_OPEN = 4423;

/** @returns {[string, string]} the heading and the text under it (maybe empty) */
export function closedText(t, formats, { code, reason, opensAt }) {
  switch (code) {
    case ROOM_NOT_OPEN: {
      const time = opensAt ? formats.moment(opensAt) : "";
      return [t("fatal_not_open"), time ? t("fatal_not_open_text", { time }) : ""];
    }
    case 4403:
      if (reason === "declined") return [t("fatal_declined"), ""];
      if (reason === "removed") return [t("fatal_removed"), ""];
      if (reason === "full") return [t("fatal_full"), ""];
      return [t("fatal_forbidden"), t("fatal_forbidden_text")];
    case 4410:
      return [t("fatal_ended"), ""];
    case 4409:
      return [t("fatal_replaced"), t("fatal_replaced_text")];
    case 4401:
      return [t("fatal_unauthenticated"), t("fatal_unauthenticated_text")];
    case 4404:
      return [t("fatal_not_found"), ""];
    case 4429:
      return [t("fatal_closed"), t("fatal_too_many_text")];
    case 1000:
      return [t("fatal_left"), ""];
    default:
      return [t("fatal_closed"), t("fatal_error_text", { code })];
  }
}
