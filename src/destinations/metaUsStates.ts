/**
 * US states, the District of Columbia and the inhabited territories by name, to the 2-letter ANSI
 * (USPS) codes Meta's customer-file ST takes for the US ("Use the 2-character ANSI abbreviation code
 * in lowercase"). Names are keyed as ST normalises them: lowercase, no spaces or punctuation.
 */
const NAMES: ReadonlyArray<readonly [string, string]> = [
  ['Alabama', 'al'],
  ['Alaska', 'ak'],
  ['Arizona', 'az'],
  ['Arkansas', 'ar'],
  ['California', 'ca'],
  ['Colorado', 'co'],
  ['Connecticut', 'ct'],
  ['Delaware', 'de'],
  ['District of Columbia', 'dc'],
  ['Florida', 'fl'],
  ['Georgia', 'ga'],
  ['Hawaii', 'hi'],
  ['Idaho', 'id'],
  ['Illinois', 'il'],
  ['Indiana', 'in'],
  ['Iowa', 'ia'],
  ['Kansas', 'ks'],
  ['Kentucky', 'ky'],
  ['Louisiana', 'la'],
  ['Maine', 'me'],
  ['Maryland', 'md'],
  ['Massachusetts', 'ma'],
  ['Michigan', 'mi'],
  ['Minnesota', 'mn'],
  ['Mississippi', 'ms'],
  ['Missouri', 'mo'],
  ['Montana', 'mt'],
  ['Nebraska', 'ne'],
  ['Nevada', 'nv'],
  ['New Hampshire', 'nh'],
  ['New Jersey', 'nj'],
  ['New Mexico', 'nm'],
  ['New York', 'ny'],
  ['North Carolina', 'nc'],
  ['North Dakota', 'nd'],
  ['Ohio', 'oh'],
  ['Oklahoma', 'ok'],
  ['Oregon', 'or'],
  ['Pennsylvania', 'pa'],
  ['Rhode Island', 'ri'],
  ['South Carolina', 'sc'],
  ['South Dakota', 'sd'],
  ['Tennessee', 'tn'],
  ['Texas', 'tx'],
  ['Utah', 'ut'],
  ['Vermont', 'vt'],
  ['Virginia', 'va'],
  ['Washington', 'wa'],
  ['West Virginia', 'wv'],
  ['Wisconsin', 'wi'],
  ['Wyoming', 'wy'],
  ['American Samoa', 'as'],
  ['Guam', 'gu'],
  ['Northern Mariana Islands', 'mp'],
  ['Puerto Rico', 'pr'],
  ['US Virgin Islands', 'vi'],
  ['Virgin Islands', 'vi'],
];

const CODES: ReadonlyMap<string, string> = new Map(NAMES.map(([name, code]) => [name.toLowerCase().replace(/[^a-z]/g, ''), code]));

/** The code of a US state or territory named in full (`newyork` → `ny`); undefined for anything else. */
export function usStateCode(compactName: string): string | undefined {
  return CODES.get(compactName);
}
