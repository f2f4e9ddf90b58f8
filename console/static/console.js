// Live queue: replaces the rows when the server sends a new version (Server-Sent Events).
// The browser reconnects by itself after a network cut; when the stream is refused (the login
// session ended), it is opened again every few seconds, so that the queue comes back on its own
// once the session is renewed (a login in another tab).
(function () {
  var rows = document.getElementById("queue-rows");
  if (!rows || !window.EventSource) return;
  var live = document.getElementById("live");
  var delay = 2000;
  function show(on) { if (live) live.className = on ? "live on" : "live off"; }
  function connect() {
    var source = new EventSource(rows.dataset.stream);
    source.addEventListener("file", function (event) { rows.innerHTML = event.data; });
    source.onopen = function () { delay = 2000; show(true); };
    source.onerror = function () {
      show(false);
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      }
    };
  }
  connect();
})();
