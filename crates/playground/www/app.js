// The playground page: loads the model (WebAssembly), lists the library,
// runs a scenario and shows the report. URL parameters run one without a
// click: ?scenario=helper-tokens/owner-logoff-drops-helper.yaml&profile=win11&run=1
import init, { scenarios, profiles, run } from './pkg/bitsim_playground.js';

const $ = (id) => document.getElementById(id);

function setStatus(text, bad) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('bad', !!bad);
}

function go(library) {
  const pick = $('scenario').value;
  const file = pick || 'scenario.yaml';
  const report = $('report');
  setStatus('running…');
  const started = performance.now();
  report.innerHTML = run(file, $('yaml').value, $('profile').value);
  if (window.bitsimWire) { window.bitsimWire(report); }
  const failed = report.querySelector('.load-error');
  const runs = report.querySelectorAll('section.run').length;
  setStatus(failed ? 'the scenario could not be loaded'
    : `ran ${runs} run${runs === 1 ? '' : 's'} in ${Math.round(performance.now() - started)} ms`, !!failed);
  document.body.setAttribute('data-state', failed ? 'error' : 'done');
  return library;
}

async function main() {
  try {
    await init();
  } catch (e) {
    setStatus('the model could not be loaded: ' + e, true);
    document.body.setAttribute('data-state', 'error');
    return;
  }
  const library = JSON.parse(scenarios());
  const select = $('scenario');
  for (const s of library) {
    const o = document.createElement('option');
    o.value = s.path;
    o.textContent = s.path;
    select.appendChild(o);
  }
  for (const p of JSON.parse(profiles())) {
    const o = document.createElement('option');
    o.value = p;
    o.textContent = p;
    $('profile').appendChild(o);
  }
  const text = (path) => (library.find((s) => s.path === path) || { text: '' }).text;
  select.addEventListener('change', () => { if (select.value) { $('yaml').value = text(select.value); } });
  $('run').addEventListener('click', () => go(library));
  $('run').disabled = false;
  setStatus(`model loaded: ${library.length} library scenarios`);
  document.body.setAttribute('data-state', 'ready');

  const params = new URLSearchParams(location.search);
  const wanted = params.get('scenario') || 'helper-tokens/owner-logoff-drops-helper.yaml';
  if (library.some((s) => s.path === wanted)) {
    select.value = wanted;
    $('yaml').value = text(wanted);
  }
  const profile = params.get('profile');
  if (profile) { $('profile').value = profile; }
  if (params.get('run') === '1') { go(library); }
}

main();
