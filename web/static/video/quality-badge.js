// The connection quality shown under the videos, and a word to screen reader users when it turns
// poor.

import { byId } from "./dom.js";

const TONES = { good: "green", fair: "yellow", poor: "red", unknown: "grey" };

export class QualityBadge {
  #t;
  #formats;
  #announce;
  #isAudioOnly;
  #level = "unknown";

  /** @param isAudioOnly {() => boolean} in audio only there is nothing more to suggest */
  constructor({ t, formats, announce, isAudioOnly }) {
    this.#t = t;
    this.#formats = formats;
    this.#announce = announce;
    this.#isAudioOnly = isAudioOnly;
  }

  show({ rttMs, loss, level }) {
    const badge = byId("quality-level");
    badge.textContent = this.#t(`quality_${level}`);
    badge.className = `tag tag--${TONES[level]}`;
    byId("quality-detail").textContent =
      level === "unknown"
        ? ""
        : this.#t("quality_detail", {
            rtt: rttMs === null ? "–" : this.#formats.integer.format(rttMs),
            loss: loss === null ? "–" : this.#formats.percent.format(loss),
          });
    if (level === "poor" && this.#level !== "poor" && !this.#isAudioOnly()) {
      this.#announce(this.#t("quality_poor_announce"));
    }
    this.#level = level;
  }
}
