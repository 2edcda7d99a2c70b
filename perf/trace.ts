// Reading the Chrome traces that profile() (src/torch/runtime.ts) writes.

export interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur: number;
  tid: number | string;
}

/** Self time (µs) and calls per op name, from complete ("X") events nested by time on each thread. */
export function selfTimes(events: TraceEvent[]): Map<string, { us: number; calls: number }> {
  const out = new Map<string, { us: number; calls: number }>();
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) if (e.ph === 'X') byThread.set(String(e.tid), [...(byThread.get(String(e.tid)) ?? []), e]);
  for (const list of byThread.values()) {
    list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const open: { e: TraceEvent; self: number }[] = [];
    const close = () => {
      const { e, self } = open.pop()!;
      const s = out.get(e.name) ?? { us: 0, calls: 0 };
      out.set(e.name, { us: s.us + self, calls: s.calls + 1 });
    };
    for (const e of list) {
      while (open.length && open[open.length - 1].e.ts + open[open.length - 1].e.dur <= e.ts) close();
      if (open.length) open[open.length - 1].self -= e.dur;
      open.push({ e, self: e.dur });
    }
    while (open.length) close();
  }
  return out;
}
