// The checks before a meeting: the microphone's level, a test sound, and the connection test,
// whose result the host sees beside our name in the lobby.

import { runConnectionTest } from "./connection-test.js";
import { playTestSound, startLevelMeter } from "./devices.js";
import { byId } from "./dom.js";

const MIC_SILENCE_HINT_MS = 8000;
const TEST_OUTCOME_MESSAGES = {
  passed: "test_passed",
  failed: "test_failed",
  "no-connection": "test_no_connection",
  busy: "test_busy",
  "no-media": "test_no_media",
  error: "test_no_connection",
};

export class DeviceChecks {
  #t;
  #formats;
  #isHost;
  #testPath;
  #credential;
  #media;
  #devicesOpened;
  #send;
  #ice = null;
  #micMeter = null;
  #testing = false;
  #testWanted = false;
  #autoTested = false;
  #result = null;

  /**
   * @param media {import("./local-media.js").LocalMedia}
   * @param devicesOpened {() => Promise<void>} the test needs the camera and microphone open
   */
  constructor({ t, formats, isHost, testPath, credential, media, devicesOpened, send }) {
    this.#t = t;
    this.#formats = formats;
    this.#isHost = isHost;
    this.#testPath = testPath;
    this.#credential = credential;
    this.#media = media;
    this.#devicesOpened = devicesOpened;
    this.#send = send;
  }

  bindControls() {
    const on = (id, handler) => document.getElementById(id)?.addEventListener("click", handler);
    on("sound-play", () => this.#playSound());
    on("sound-yes", () => this.#answerSound(true));
    on("sound-no", () => this.#answerSound(false));
    on("test-run", () => this.#runTest());
  }

  /** The server welcomed us: the connection test can run now, and the host may need our result. */
  welcome(ice, { inLobby }) {
    this.#ice = ice;
    if (inLobby) {
      if (this.#result) this.#report();
      if (!this.#autoTested && !this.#isHost) {
        this.#autoTested = true;
        this.#runTest();
      }
    }
    if (this.#testWanted) {
      this.#testWanted = false;
      this.#runTest();
    }
  }

  startMicMeter() {
    const meter = document.getElementById("mic-meter");
    const status = document.getElementById("mic-status");
    if (!meter || !this.#media.audioTrack) return;
    const silence = setTimeout(() => {
      status.textContent = this.#t("mic_silent");
    }, MIC_SILENCE_HINT_MS);
    this.#micMeter = startLevelMeter(this.#media.stream, meter, () => {
      clearTimeout(silence);
      status.textContent = this.#t("mic_heard");
    });
  }

  stop() {
    this.#micMeter?.stop();
  }

  async #playSound() {
    const result = byId("sound-result");
    result.textContent = this.#t("sound_playing");
    await playTestSound();
    result.textContent = "";
    byId("sound-question").hidden = false;
    byId("sound-yes").focus();
  }

  #answerSound(heard) {
    byId("sound-question").hidden = true;
    byId("sound-result").textContent = this.#t(heard ? "sound_heard" : "sound_not_heard");
    byId("sound-play").focus();
  }

  async #runTest() {
    if (this.#testing) return;
    const status = byId("test-status");
    if (!this.#ice) {
      this.#testWanted = true;
      status.textContent = this.#t("test_waiting");
      return;
    }
    await this.#devicesOpened();
    this.#testing = true;
    const button = byId("test-run");
    button.setAttribute("aria-disabled", "true");
    status.textContent = this.#t("test_running");
    byId("test-results").hidden = true;
    let echoMeter = null;
    const result = await runConnectionTest({
      path: this.#testPath,
      credential: this.#credential,
      ice: this.#ice,
      stream: this.#media.stream,
      onEcho: (stream) => {
        byId("test-tile").hidden = !stream.getVideoTracks().length;
        const video = byId("test-video");
        if (video.srcObject !== stream) video.srcObject = stream;
        video.play().catch(() => {});
        if (!echoMeter && stream.getAudioTracks().length) {
          byId("test-meter").hidden = false;
          echoMeter = startLevelMeter(stream, byId("test-audio-meter"));
        }
      },
      onReading: (reading) => this.#renderReading(reading),
    });
    echoMeter?.stop();
    byId("test-video").srcObject = null;
    byId("test-tile").hidden = true;
    byId("test-meter").hidden = true;
    this.#renderReading(result);
    status.textContent = this.#t(TEST_OUTCOME_MESSAGES[result.outcome]);
    button.textContent = this.#t("test_again");
    button.removeAttribute("aria-disabled");
    this.#testing = false;
    this.#keep(result);
  }

  #renderReading({ rttMs, loss }) {
    if (rttMs === null && loss === null) return;
    byId("test-results").hidden = false;
    byId("test-rtt").textContent = rttMs === null ? "–" : this.#formats.milliseconds.format(rttMs);
    byId("test-loss").textContent = loss === null ? "–" : this.#formats.percent.format(loss);
  }

  #keep(result) {
    // A busy or broken test says nothing about this person's devices, so it is not reported.
    if (result.outcome === "busy" || result.outcome === "error") return;
    this.#result = {
      passed: result.outcome === "passed",
      rtt_ms: result.rttMs === null ? null : Math.min(60_000, Math.round(result.rttMs)),
      loss: result.loss === null ? null : Math.min(1, Math.max(0, Math.round(result.loss * 1000) / 1000)),
    };
    if (!this.#isHost) this.#report();
  }

  #report() {
    this.#send({ type: "device-check", ...this.#result });
  }
}
