// Live queue (Server-Sent Events): the server sends the queue's rows whenever they change; they
// are merged row by row (a row that did not change is left alone, the focused row keeps its
// focused cell), so that keyboard focus is never lost. A new ticket makes a short sound, is
// announced to screen readers (aria-live) and, when the standardiste opted in (a checkbox
// remembered in localStorage), shows a desktop notification. The tab title counts the open
// tickets. When the stream drops, « Connexion perdue — nouvelle tentative… » says so until it
// is back. The browser reconnects by itself after a network cut; when the stream is refused
// (the login session ended), it is opened again every few seconds, so that the queue comes
// back on its own once the session is renewed (a login in another tab).
(function () {
  var rows = document.getElementById("queue-rows");
  if (!rows || !window.EventSource) return;
  var live = document.getElementById("live");
  var announce = document.getElementById("announce");
  var optIn = document.getElementById("desktop-notify");
  var baseTitle = document.title.replace(/^\(\d+\) /, "");
  var delay = 2000;
  var STORAGE = "guichet.notifications";

  function ids(container) {
    var known = {};
    container.querySelectorAll("tr[data-ticket]").forEach(function (row) {
      known[row.dataset.ticket] = true;
    });
    return known;
  }
  var known = ids(rows);

  function setTitle() {
    var count = rows.querySelectorAll("tr[data-ticket]").length;
    document.title = (count ? "(" + count + ") " : "") + baseTitle;
  }

  function showLive(on) {
    if (!live) return;
    if (on) {
      live.className = "live on";
      live.textContent = "● en direct";
    } else {
      live.className = "live lost";
      live.textContent = "Connexion perdue — nouvelle tentative…";
    }
  }

  function beep() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      var audio = new Context();
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.1;
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.25);
      tone.onended = function () { audio.close(); };
    } catch (e) { /* no sound available: the announcement and the title still tell */ }
  }

  function notifyDesktop(text) {
    if (!optIn || !optIn.checked || !window.Notification) return;
    if (Notification.permission === "granted") {
      try { new Notification("Guichet", { body: text }); } catch (e) { /* not allowed here */ }
    }
  }

  if (optIn) {
    optIn.checked = window.localStorage && localStorage.getItem(STORAGE) === "1";
    optIn.addEventListener("change", function () {
      if (window.localStorage) localStorage.setItem(STORAGE, optIn.checked ? "1" : "0");
      if (optIn.checked && window.Notification && Notification.permission === "default") {
        Notification.requestPermission();
      }
    });
  }

  // Replaces `old` by `fresh` unless it holds the focus: then only its other cells change.
  function updateRow(old, fresh) {
    if (old.outerHTML === fresh.outerHTML) return old;
    var focused = document.activeElement;
    if (!focused || !old.contains(focused) || old.cells.length !== fresh.cells.length) {
      old.replaceWith(fresh);
      return fresh;
    }
    old.className = fresh.className;
    Array.prototype.forEach.call(fresh.attributes, function (attribute) {
      old.setAttribute(attribute.name, attribute.value);
    });
    for (var i = 0; i < fresh.cells.length; i++) {
      var cell = old.cells[i];
      if (!cell.contains(focused) && cell.innerHTML !== fresh.cells[i].innerHTML) {
        cell.innerHTML = fresh.cells[i].innerHTML;
      }
    }
    return old;
  }

  function merge(html) {
    var template = document.createElement("template");
    template.innerHTML = "<table><tbody>" + html + "</tbody></table>";
    var incoming = Array.prototype.slice.call(template.content.querySelectorAll("tbody > tr"));
    var current = {};
    Array.prototype.forEach.call(rows.children, function (row) {
      if (row.dataset.ticket) current[row.dataset.ticket] = row;
    });
    var wanted = {};
    var fresh = [];
    var previous = null;
    incoming.forEach(function (row) {
      var id = row.dataset.ticket;
      var placed;
      if (id && current[id]) {
        placed = updateRow(current[id], row);
        wanted[id] = true;
      } else {
        placed = row;
        if (id) {
          wanted[id] = true;
          if (!known[id]) fresh.push(row);
        }
      }
      var next = previous ? previous.nextSibling : rows.firstChild;
      if (placed !== next) rows.insertBefore(placed, next);
      previous = placed;
    });
    // Rows gone (taken elsewhere, closed) and the « empty » row when tickets came.
    Array.prototype.slice.call(rows.children).forEach(function (row) {
      if (incoming.indexOf(row) === -1 && !(row.dataset.ticket && wanted[row.dataset.ticket])) {
        row.remove();
      }
    });
    known = ids(rows);
    setTitle();
    var news = fresh.filter(function (row) { return row.dataset.state === "nouveau"; });
    if (news.length) {
      var text = news.map(function (row) { return "Nouveau ticket : " + row.dataset.subject; }).join(". ");
      if (announce) announce.textContent = text;
      beep();
      notifyDesktop(text);
    }
  }

  function connect() {
    var source = new EventSource(rows.dataset.stream);
    source.addEventListener("file", function (event) { merge(event.data); });
    source.onopen = function () { delay = 2000; showLive(true); };
    source.onerror = function () {
      showLive(false);
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      }
    };
  }
  setTitle();
  connect();
})();
