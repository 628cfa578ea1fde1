// The mail MiniStack captured (its SES), for the end-to-end scripts.

/// The newest 6-digit code mailed to `to`, waiting up to 10 s for it.
export async function mailedCode(endpoint, to) {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const reply = await fetch(`${endpoint}/_ministack/ses/messages`);
    const messages = Object.values((await reply.json()).messages ?? {}).flat();
    const mail = messages.reverse().find((m) => m.To.includes(to));
    const code = mail && `${mail.BodyHtml ?? ''} ${mail.BodyText ?? ''}`.match(/\b(\d{6})\b/);
    if (code) return code[1];
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no code mailed to ${to}`);
}
