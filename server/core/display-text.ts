/**
 * Control characters (C0, DEL, C1) and the Unicode bidirectional formatting characters (LRM, RLM, ALM, the
 * embeddings, overrides and isolates). In a name shown to people they hide or reorder text: a device called
 * "‮thgil" reads as "light" reversed, a "\u001b[2J" clears a terminal that prints the log.
 */
const hidden = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A name or area made from what a device sent, fit to show: hidden characters removed, spaces collapsed. */
export function displayText(raw: string): string {
  return raw.replace(hidden, '').replace(/\s+/g, ' ').trim();
}
