/* ipm-bot chat widget. Embed with:
 *   <script src="https://BOT-SERVER/widget/widget.js" data-server="https://BOT-SERVER" defer></script>
 * Everything the bot sends is inserted with textContent (never innerHTML): no markup from
 * a message is ever interpreted. */
(function () {
  "use strict";
  var script = document.currentScript;
  var server = (script && script.getAttribute("data-server")) || "";
  if (!server && script && script.src) { server = script.src.replace(/\/widget\/widget\.js.*$/, ""); }
  var title = (script && script.getAttribute("data-title")) || "Chat / 在线客服";

  function senderId() {
    var key = "ipm-bot-sender";
    try {
      var id = window.localStorage.getItem(key);
      if (!id) {
        id = "web-" + Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
        window.localStorage.setItem(key, id);
      }
      return id;
    } catch (e) { return "web-anon-" + Math.random().toString(36).slice(2, 12); }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  var css = el("link");
  css.rel = "stylesheet";
  css.href = server + "/widget/widget.css";
  document.head.appendChild(css);

  var root = el("div", "ipm-widget");
  var toggle = el("button", "ipm-toggle", "💬");
  toggle.setAttribute("aria-label", title);
  var panel = el("div", "ipm-panel");
  panel.hidden = true;
  var header = el("div", "ipm-header", title);
  var log = el("div", "ipm-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var form = el("form", "ipm-form");
  var input = el("input", "ipm-input");
  input.type = "text";
  input.maxLength = 2000;
  input.placeholder = "Type a message… / 请输入…";
  input.setAttribute("aria-label", "message");
  var send = el("button", "ipm-send", "➤");
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(toggle);
  document.body.appendChild(root);

  toggle.addEventListener("click", function () {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) { input.focus(); }
  });

  function addBubble(who, text) {
    var bubble = el("div", "ipm-msg ipm-" + who, text);
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
    return bubble;
  }

  function render(messages) {
    messages.forEach(function (m) {
      if (m.text) { addBubble("bot", m.text); }
      if (Array.isArray(m.buttons) && m.buttons.length) {
        var row = el("div", "ipm-buttons");
        m.buttons.forEach(function (b) {
          var button = el("button", "ipm-button", b.title);
          button.type = "button";
          button.addEventListener("click", function () { sendMessage(b.payload || b.title, b.title); });
          row.appendChild(button);
        });
        log.appendChild(row);
      }
      if (m.custom && Array.isArray(m.custom.cards)) {
        var cards = el("div", "ipm-cards");
        m.custom.cards.forEach(function (c) {
          var card = el("div", "ipm-card");
          card.appendChild(el("div", "ipm-card-title", c.title));
          if (c.subtitle) { card.appendChild(el("div", "ipm-card-subtitle", c.subtitle)); }
          if (c.reason) { card.appendChild(el("div", "ipm-card-reason", c.reason)); }
          cards.appendChild(card);
        });
        log.appendChild(cards);
      }
    });
    log.scrollTop = log.scrollHeight;
  }

  function sendMessage(payload, shown) {
    addBubble("user", shown || payload);
    var pending = addBubble("bot ipm-typing", "…");
    fetch(server + "/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: senderId(), message: payload })
    }).then(function (resp) {
      if (!resp.ok) { throw new Error("status " + resp.status); }
      return resp.json();
    }).then(function (messages) {
      log.removeChild(pending);
      render(Array.isArray(messages) ? messages : []);
    }).catch(function () {
      log.removeChild(pending);
      addBubble("bot ipm-error", "Sorry, the assistant is unavailable right now. / 抱歉，助手暂时无法使用。");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    sendMessage(text);
  });

  window.ipmBot = { send: sendMessage, open: function () { panel.hidden = false; } };
})();
