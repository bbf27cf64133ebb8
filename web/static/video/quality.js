// Connection quality from RTCPeerConnection.getStats(): round-trip time and packet loss.

const GOOD = { loss: 0.02, rttMs: 300 };
const FAIR = { loss: 0.1, rttMs: 1000 };

/**
 * One reading of a peer connection. `previous` (the last reading) turns the cumulative packet
 * counters into loss over the interval since, which is what a person notices right now.
 * @returns {Promise<{rttMs: number|null, loss: number|null, lost: number, received: number}>}
 */
export async function readConnection(pc, previous = null) {
  const report = await pc.getStats();
  let remoteRtt = null;
  let remoteLoss = null;
  let pairRtt = null;
  let lost = 0;
  let received = 0;
  let selectedPairId = null;
  report.forEach((stat) => {
    if (stat.type === "transport" && stat.selectedCandidatePairId) selectedPairId = stat.selectedCandidatePairId;
  });
  report.forEach((stat) => {
    if (stat.type === "remote-inbound-rtp") {
      // What the other end reports about the packets we send it.
      if (typeof stat.roundTripTime === "number") remoteRtt = Math.max(remoteRtt ?? 0, stat.roundTripTime * 1000);
      if (typeof stat.fractionLost === "number") remoteLoss = Math.max(remoteLoss ?? 0, stat.fractionLost);
    } else if (stat.type === "candidate-pair") {
      const selected = selectedPairId ? stat.id === selectedPairId : stat.nominated && stat.state === "succeeded";
      if (selected && typeof stat.currentRoundTripTime === "number") pairRtt = stat.currentRoundTripTime * 1000;
    } else if (stat.type === "inbound-rtp") {
      lost += Math.max(0, stat.packetsLost ?? 0);
      received += stat.packetsReceived ?? 0;
    }
  });
  const newLost = lost - (previous?.lost ?? 0);
  const newReceived = received - (previous?.received ?? 0);
  const inboundLoss = newLost + newReceived > 0 ? newLost / (newLost + newReceived) : null;
  const losses = [remoteLoss, inboundLoss].filter((value) => value !== null);
  return {
    rttMs: remoteRtt ?? pairRtt,
    loss: losses.length ? Math.max(...losses) : null,
    lost,
    received,
  };
}

/** "good" | "fair" | "poor" | "unknown" */
export function rate({ rttMs, loss }) {
  if (rttMs === null && loss === null) return "unknown";
  const within = (limit) => (loss ?? 0) < limit.loss && (rttMs ?? 0) < limit.rttMs;
  if (within(GOOD)) return "good";
  if (within(FAIR)) return "fair";
  return "poor";
}

/** Reads every peer connection every few seconds and reports the worst of them. */
export class QualityMonitor {
  #connections;
  #onReading;
  #timer = 0;
  #previous = new WeakMap();

  constructor(connections, onReading, intervalMs = 3000) {
    this.#connections = connections;
    this.#onReading = onReading;
    this.#timer = setInterval(() => this.#measure(), intervalMs);
  }

  stop() {
    clearInterval(this.#timer);
  }

  async #measure() {
    const connected = this.#connections().filter((pc) => pc.connectionState === "connected");
    if (!connected.length) {
      this.#onReading({ rttMs: null, loss: null, level: "unknown" });
      return;
    }
    const readings = await Promise.all(
      connected.map(async (pc) => {
        const reading = await readConnection(pc, this.#previous.get(pc)).catch(() => null);
        if (reading) this.#previous.set(pc, reading);
        return reading;
      }),
    );
    const known = readings.filter(Boolean);
    const worst = (key) => {
      const values = known.map((reading) => reading[key]).filter((value) => value !== null);
      return values.length ? Math.max(...values) : null;
    };
    const summary = { rttMs: worst("rttMs"), loss: worst("loss") };
    this.#onReading({ ...summary, level: rate(summary) });
  }
}
