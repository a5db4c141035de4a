// live.js: progressive enhancement of /live. It listens to the server-sent
// events named by #live-status's data-events and puts each new call on top
// of #calls. Every value is set with textContent, never parsed as HTML, and
// links are kept only when they are paths on this server.
"use strict";
(function () {
  var status = document.getElementById("live-status");
  var table = document.getElementById("calls");
  if (!status || !table || !window.EventSource) {
    return;
  }
  var state = document.getElementById("live-state");
  var body = table.tBodies[0];
  var url = status.getAttribute("data-events");
  if (!url || url.charAt(0) !== "/" || url.charAt(1) === "/") {
    return;
  }
  var es = new EventSource(url);

  function say(text, name) {
    state.textContent = text;
    document.body.setAttribute("data-live", name);
  }

  function cell(row, cls, text) {
    var td = document.createElement("td");
    td.className = cls;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  es.addEventListener("ready", function () {
    say("Live: new calls appear at the top.", "connected");
  });
  es.addEventListener("error", function () {
    say("Disconnected; retrying.", "disconnected");
  });
  es.addEventListener("warning", function (ev) {
    var list = document.getElementById("live-warnings");
    if (!list) {
      list = document.createElement("ul");
      list.id = "live-warnings";
      list.className = "warnings";
      status.parentNode.insertBefore(list, status.nextSibling);
    }
    var li = document.createElement("li");
    li.className = "warning";
    li.textContent = JSON.parse(ev.data);
    list.appendChild(li);
  });
  es.addEventListener("call", function (ev) {
    var c = JSON.parse(ev.data);
    var row = document.createElement("tr");
    var st = /^(ok|error|denied)$/.test(c.status) ? c.status : "other";
    row.className = "call live status-" + st;
    var time = cell(row, "time", "");
    var a = document.createElement("a");
    a.textContent = c.time;
    if (typeof c.href === "string" && c.href.indexOf("/u/") === 0) {
      a.setAttribute("href", c.href);
    }
    time.appendChild(a);
    cell(row, "user", c.user);
    cell(row, "tool", c.tool);
    var badge = document.createElement("span");
    badge.className = "badge st-" + st;
    badge.textContent = c.status;
    cell(row, "status", "").appendChild(badge);
    cell(row, "model", c.engine + " / " + c.model);
    cell(row, "num dur", c.duration);
    var args = cell(row, "args", "");
    var code = document.createElement("code");
    code.textContent = c.args;
    var result = document.createElement("span");
    result.className = "result";
    result.textContent = c.result;
    args.appendChild(code);
    args.appendChild(document.createTextNode(" → "));
    args.appendChild(result);
    body.insertBefore(row, body.firstChild);
    var empty = document.getElementById("empty");
    if (empty) {
      empty.remove();
    }
  });
})();
