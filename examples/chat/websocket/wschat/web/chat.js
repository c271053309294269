// chat.js: the browser chat client. Messages are Godot Dictionaries,
// encoded with variant.js and sent as binary frames, exactly what a Godot
// web export's WebSocketPeer.put_var sends.
(function () {
  'use strict';
  const V = window.GodotVariant;
  const $ = (id) => document.getElementById(id);
  let ws = null;

  // Everything received, for tests and debugging.
  window.chatState = { connected: false, closed: false, messages: [], lines: [] };

  // format renders a server message as one line, like Go's chat.Format.
  function format(m) {
    switch (m.type) {
      case 'welcome': return '* welcome ' + m.nick + ' (members: ' + (m.members || []).join(', ') + ')';
      case 'join': return '* ' + m.nick + ' joined';
      case 'leave': return '* ' + m.nick + ' left';
      case 'say': return '<' + m.nick + '> ' + m.text;
      case 'error': return '! ' + m.text;
    }
    return '? ' + JSON.stringify(m);
  }

  function show(line, cls) {
    const li = document.createElement('li');
    li.textContent = line;
    if (cls) li.className = cls;
    $('log').appendChild(li);
    li.scrollIntoView();
    window.chatState.lines.push(line);
  }

  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(V.encode(msg));
  }

  function join(nick) {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    ws = new WebSocket(scheme + location.host + '/ws');
    ws.binaryType = 'arraybuffer';
    $('status').textContent = 'connecting…';
    ws.onopen = () => {
      window.chatState.connected = true;
      $('status').textContent = 'connected as ' + nick;
      send({ type: 'join', nick: nick });
      $('text').disabled = $('send').disabled = false;
      $('join-button').disabled = $('nick').disabled = true;
      $('text').focus();
    };
    ws.onmessage = (ev) => {
      if (!(ev.data instanceof ArrayBuffer)) {
        show('! unexpected text frame: ' + ev.data, 'error');
        return;
      }
      let m;
      try {
        m = V.decode(ev.data);
      } catch (e) {
        show('! undecodable message: ' + e.message, 'error');
        return;
      }
      window.chatState.messages.push(m);
      show(format(m), m.type === 'say' ? '' : m.type === 'error' ? 'error' : 'notice');
    };
    ws.onclose = (ev) => {
      window.chatState.closed = true;
      window.chatState.closeCode = ev.code;
      $('status').textContent = 'disconnected (' + ev.code + (ev.reason ? ' ' + ev.reason : '') + ')';
      $('text').disabled = $('send').disabled = true;
    };
  }

  $('join').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const nick = $('nick').value.trim();
    if (nick) join(nick);
  });
  $('say').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('text').value;
    if (text.trim()) send({ type: 'say', text: text });
    $('text').value = '';
  });
  window.addEventListener('beforeunload', () => {
    send({ type: 'leave' });
    if (ws) ws.close(1000, 'page closed');
  });

  // ?nick=alice joins at once.
  const nick = new URLSearchParams(location.search).get('nick');
  if (nick) {
    $('nick').value = nick;
    join(nick);
  }
})();
