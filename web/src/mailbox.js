// Lists the mail captured by the local emulator, newest first. Message
// bodies are shown in sandboxed frames, so mail HTML never runs here.
const outputs = await (await fetch('/amplify_outputs.json')).json();
const endpoint = outputs.custom?.aws_endpoint_url;

function render(message) {
  const item = document.createElement('li');
  item.className = 'message';
  const heading = document.createElement('h2');
  heading.textContent = message.Subject || '(no subject)';
  const meta = document.createElement('p');
  const sent = new Date(message.Timestamp * 1000).toISOString();
  meta.textContent = `To ${message.To.join(', ')} from ${message.Source} at ${sent}`;
  const body = document.createElement('iframe');
  body.title = `Body of "${heading.textContent}"`;
  body.setAttribute('sandbox', '');
  body.srcdoc = message.BodyHtml || `<pre>${escapeHtml(message.BodyText ?? '')}</pre>`;
  body.style.width = '100%';
  body.style.height = '24rem';
  body.style.border = '1px solid #d0d7de';
  item.append(heading, meta, body);
  return item;
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function refresh() {
  const status = document.getElementById('status');
  if (!endpoint) {
    status.textContent = 'This stack sends real mail; there is no local mailbox.';
    return;
  }
  const reply = await fetch('/_ministack/ses/messages');
  // MiniStack groups captured mail by account.
  const messages = Object.values((await reply.json()).messages ?? {}).flat();
  messages.sort((a, b) => a.Timestamp - b.Timestamp);
  document.getElementById('messages').replaceChildren(...messages.slice().reverse().map(render));
  status.textContent = `${messages.length} message(s).`;
}

document.getElementById('refresh').addEventListener('click', refresh);
await refresh();
