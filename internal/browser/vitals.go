package browser

// vitalsScript runs before any page script (Page.addScriptToEvaluateOnNewDocument)
// so buffered and live performance entries are all observed.
const vitalsScript = `(() => {
  if (window.__vigilVitals) return;
  const v = {lcp: 0, lcpEl: '', cls: 0, inp: 0, inpSeen: false, inpManual: 0, fcp: 0, longs: []};
  window.__vigilVitals = v;
  // Where the browser reports no Event Timing entries (the headless shell
  // presents no frames to time them against), measure interactions here:
  // from the input's timestamp to the end of its handlers (a task queued
  // behind them runs after the last one), as INP's input delay and
  // processing time; the presentation delay is left out.
  const seen = new WeakSet();
  const onInput = (ev) => {
    if (!ev.isTrusted || seen.has(ev)) return;
    seen.add(ev);
    const start = ev.timeStamp;
    setTimeout(() => {
      const d = performance.now() - start;
      if (d > v.inpManual) v.inpManual = d;
    }, 0);
  };
  ['pointerdown', 'pointerup', 'click', 'keydown', 'keyup'].forEach((t) => addEventListener(t, onInput, {capture: true}));
  const describe = (el) => {
    if (!el || !el.tagName) return '';
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    else if (el.classList && el.classList.length) d += '.' + Array.from(el.classList).join('.');
    if (el.tagName === 'IMG' && el.getAttribute('src')) d += '[src="' + el.getAttribute('src') + '"]';
    return d;
  };
  const obs = (type, fn, extra) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(fn))
        .observe(Object.assign({type, buffered: true}, extra || {}));
    } catch (e) {}
  };
  obs('largest-contentful-paint', (e) => {
    v.lcp = e.renderTime || e.loadTime || e.startTime;
    v.lcpEl = describe(e.element) || e.url || '';
  });
  obs('layout-shift', (e) => { if (!e.hadRecentInput) v.cls += e.value; });
  obs('paint', (e) => { if (e.name === 'first-contentful-paint') v.fcp = e.startTime; });
  obs('event', (e) => {
    if (!e.interactionId) return;
    v.inpSeen = true;
    if (e.duration > v.inp) v.inp = e.duration;
  }, {durationThreshold: 16});
  obs('longtask', (e) => { v.longs.push([e.startTime, e.duration]); });
})();`

// readVitalsJS snapshots the collected values; TBT counts long tasks after FCP.
// Headless Chromium renders frames on demand, so wait for two animation
// frames first (bounded) or paint, LCP and layout-shift entries never arrive.
const readVitalsJS = `(async () => {
  await Promise.race([
    new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))),
    new Promise(r => setTimeout(r, 300)),
  ]);
  const v = window.__vigilVitals || {lcp: 0, lcpEl: '', cls: 0, inp: 0, inpSeen: false, inpManual: 0, fcp: 0, longs: []};
  const nav = performance.getEntriesByType('navigation')[0];
  let tbt = 0;
  for (const [start, dur] of v.longs) if (start >= v.fcp && dur > 50) tbt += dur - 50;
  return {LCP: v.lcp, LCPElement: v.lcpEl, CLS: v.cls, INP: v.inpSeen ? v.inp : Math.round(v.inpManual), TBT: tbt, FCP: v.fcp,
    TTFB: nav ? nav.responseStart : 0};
})()`
