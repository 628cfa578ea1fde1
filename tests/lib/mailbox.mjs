// The mail MiniStack captured (its SES), for the end-to-end scripts.

/// Every mail to `to`, oldest first.
export async function mailsTo(endpoint, to) {
  const reply = await fetch(`${endpoint}/_ministack/ses/messages`);
  return Object.values((await reply.json()).messages ?? {}).flat().filter((m) => m.To.includes(to));
}

/// The newest 6-digit code mailed to `to`, waiting up to 10 s for it; with
/// `after` (a count of mails to `to`), only from a mail newer than those.
export async function mailedCode(endpoint, to, { after = 0 } = {}) {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const mail = (await mailsTo(endpoint, to)).slice(after).pop();
    const code = mail && `${mail.BodyHtml ?? ''} ${mail.BodyText ?? ''}`.match(/\b(\d{6})\b/);
    if (code) return code[1];
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no code mailed to ${to}`);
}
