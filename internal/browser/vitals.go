package browser

// vitalsScript runs before any page script (Page.addScriptToEvaluateOnNewDocument)
// so buffered and live performance entries are all observed.
const vitalsScript = `(() => {
  if (window.__vigilVitals) return;
  const v = {lcp: 0, lcpEl: '', cls: 0, inp: 0, fcp: 0, longs: []};
  window.__vigilVitals = v;
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
  obs('event', (e) => { if (e.interactionId && e.duration > v.inp) v.inp = e.duration; }, {durationThreshold: 16});
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
  const v = window.__vigilVitals || {lcp: 0, lcpEl: '', cls: 0, inp: 0, fcp: 0, longs: []};
  const nav = performance.getEntriesByType('navigation')[0];
  let tbt = 0;
  for (const [start, dur] of v.longs) if (start >= v.fcp && dur > 50) tbt += dur - 50;
  return {LCP: v.lcp, LCPElement: v.lcpEl, CLS: v.cls, INP: v.inp, TBT: tbt, FCP: v.fcp,
    TTFB: nav ? nav.responseStart : 0};
})()`
