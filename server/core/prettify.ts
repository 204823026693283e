// Names made from topic levels (`livingroom`, `first_floor`, `kitchen-light`) turned into labels a person reads, once,
// when a device or area is first seen (docs/dashboard.md "Areas"). A glued word is split only where this small word
// list makes the split certain; anything else stays as it was, with its first letter capitalised. The result is
// only a starting point: users rename freely, and nothing prettifies a name again.

/** Words of a house: a glued topic level is split only into these. Whole words that contain others stay whole. */
const words: ReadonlySet<string> = new Set([
  // places
  'living', 'dining', 'sitting', 'family', 'guest', 'kids', 'master', 'utility', 'laundry', 'play', 'store', 'boiler',
  'room', 'bedroom', 'bathroom', 'kitchen', 'garage', 'hallway', 'hall', 'office', 'study', 'lounge', 'toilet', 'shower',
  'pantry', 'cellar', 'basement', 'attic', 'loft', 'porch', 'garden', 'terrace', 'balcony', 'patio', 'entrance', 'landing',
  'ground', 'first', 'second', 'third', 'top', 'floor', 'upstairs', 'downstairs', 'front', 'back', 'side', 'main',
  'house', 'home', 'shed', 'workshop', 'nursery', 'closet', 'wardrobe', 'stairs', 'corridor', 'yard', 'driveway',
  // things
  'light', 'lights', 'lamp', 'ceiling', 'desk', 'plug', 'socket', 'switch', 'sensor', 'door', 'window',
  'temperature', 'humidity', 'motion', 'contact', 'thermostat', 'heater', 'radiator', 'fan', 'blind', 'blinds',
  'shutter', 'curtain', 'lock', 'doorbell', 'camera', 'smoke', 'leak', 'water', 'power', 'meter', 'energy', 'button',
  'remote', 'speaker', 'tv', 'strip', 'bulb', 'spot', 'spots', 'led', 'presence', 'air', 'quality', 'pump', 'valve',
]);

/** The longest word in the list: no split is tried past it. */
const longest = Math.max(...[...words].map((w) => w.length));

/**
 * "livingroom" → "Living room", "first_floor" → "First floor", "groundfloor" → "Ground floor", "bedroom" → "Bedroom",
 * "kitchen-light" → "Kitchen light", "xyzroom" → "Xyzroom", "TV" → "TV". Underscores and dashes become spaces; a
 * lowercase (or capitalised) run of letters is split where it is exactly a sequence of listed words, the shortest
 * such sequence being unique; words with other capitals or with digits are left alone.
 */
export function prettify(raw: string): string {
  const spaced = raw.replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim();
  const text = spaced.split(' ').map(splitWord).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The key two area names are the same under: case, spaces, underscores and dashes do not count ("First floor",
 * "Firstfloor", "first_floor" are one area).
 */
export function areaKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

function splitWord(word: string): string {
  if (!/^[A-Za-z][a-z]*$/.test(word)) return word;
  const lower = word.toLowerCase();
  if (words.has(lower)) return word;
  const parts = segment(lower);
  if (!parts) return word;
  // Keep a capital the word started with ("Livingroom" → "Living room").
  const first = word.charAt(0) === lower.charAt(0) ? parts[0]! : parts[0]!.charAt(0).toUpperCase() + parts[0]!.slice(1);
  return [first, ...parts.slice(1)].join(' ');
}

/**
 * The split of `s` into the fewest listed words, or undefined when there is none or more than one of that length
 * (then the split is not certain). Dynamic programming over prefixes: best[i] = fewest words covering s[0, i).
 */
function segment(s: string): string[] | undefined {
  const n = s.length;
  const best: Array<{ count: number; ways: number; from: number } | undefined> = [{ count: 0, ways: 1, from: -1 }];
  for (let i = 1; i <= n; i++) {
    for (let j = Math.max(0, i - longest); j < i; j++) {
      const prev = best[j];
      if (!prev || !words.has(s.slice(j, i))) continue;
      const count = prev.count + 1;
      const cur = best[i];
      if (!cur || count < cur.count) best[i] = { count, ways: prev.ways, from: j };
      else if (count === cur.count) cur.ways += prev.ways;
    }
  }
  const end = best[n];
  if (!end || end.count < 2 || end.ways !== 1) return undefined;
  const parts: string[] = [];
  for (let i = n; i > 0; i = best[i]!.from) parts.unshift(s.slice(best[i]!.from, i));
  return parts;
}
