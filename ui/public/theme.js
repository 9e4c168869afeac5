// Apply the saved theme before first paint, so the page does not flash. A file rather than an
// inline script: the Content-Security-Policy allows scripts from this origin only.
try {
  var t = localStorage.getItem('toygres.theme');
  if (t !== 'light' && t !== 'dark') t = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  document.documentElement.dataset.theme = t;
} catch (e) {}
