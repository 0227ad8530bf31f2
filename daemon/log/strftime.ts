// A small strftime for EventTimeStamp (C locale): %a %A %b %B %d %e %H %I %M %S %p %y %Y %m %j %Z %z %%,
// plus %T %F %D %R %s. Unknown conversions are copied as written.

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export interface StrftimeOptions {
  /** Format in UTC instead of the local time zone (deterministic tests). */
  readonly utc?: boolean;
  /** Append `.uuuuuu` to every %S (EventPreciseTimeStamp); at the end when there is no %S. */
  readonly precise?: boolean;
  /** Microseconds within the second; default: the Date's milliseconds times 1000. */
  readonly micros?: number;
}

const pad = (n: number, width = 2, fill = '0'): string => String(n).padStart(width, fill);

let zoneNames: Intl.DateTimeFormat | undefined;
function localZoneName(date: Date): string {
  zoneNames ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
  return zoneNames.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
}

export function strftime(format: string, date: Date, opts: StrftimeOptions = {}): string {
  const utc = opts.utc === true;
  const year = utc ? date.getUTCFullYear() : date.getFullYear();
  const month = utc ? date.getUTCMonth() : date.getMonth();
  const day = utc ? date.getUTCDate() : date.getDate();
  const weekday = utc ? date.getUTCDay() : date.getDay();
  const hour = utc ? date.getUTCHours() : date.getHours();
  const minute = utc ? date.getUTCMinutes() : date.getMinutes();
  const second = utc ? date.getUTCSeconds() : date.getSeconds();
  const micros = opts.micros ?? (utc ? date.getUTCMilliseconds() : date.getMilliseconds()) * 1000;
  const fraction = opts.precise === true ? `.${pad(micros, 6)}` : '';
  const offsetMin = utc ? 0 : -date.getTimezoneOffset();
  const startOfYear = utc ? Date.UTC(year, 0, 1) : new Date(year, 0, 1).getTime();
  const startOfDay = utc ? Date.UTC(year, month, day) : new Date(year, month, day).getTime();
  const dayOfYear = Math.round((startOfDay - startOfYear) / 86_400_000) + 1;
  const hour12 = hour % 12 === 0 ? 12 : hour % 12;

  const conv = (c: string): string | undefined => {
    switch (c) {
      case 'a':
        return (DAYS[weekday] as string).slice(0, 3);
      case 'A':
        return DAYS[weekday];
      case 'b':
      case 'h':
        return (MONTHS[month] as string).slice(0, 3);
      case 'B':
        return MONTHS[month];
      case 'd':
        return pad(day);
      case 'e':
        return pad(day, 2, ' ');
      case 'H':
        return pad(hour);
      case 'I':
        return pad(hour12);
      case 'M':
        return pad(minute);
      case 'S':
        return pad(second) + fraction;
      case 'p':
        return hour < 12 ? 'AM' : 'PM';
      case 'y':
        return pad(year % 100);
      case 'Y':
        return String(year);
      case 'm':
        return pad(month + 1);
      case 'j':
        return pad(dayOfYear, 3);
      case 'Z':
        return utc ? 'UTC' : localZoneName(date);
      case 'z': {
        const abs = Math.abs(offsetMin);
        return `${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
      }
      case 'T':
        return `${pad(hour)}:${pad(minute)}:${pad(second)}${fraction}`;
      case 'R':
        return `${pad(hour)}:${pad(minute)}`;
      case 'F':
        return `${year}-${pad(month + 1)}-${pad(day)}`;
      case 'D':
        return `${pad(month + 1)}/${pad(day)}/${pad(year % 100)}`;
      case 's':
        return String(Math.floor(date.getTime() / 1000));
      case '%':
        return '%';
      default:
        return undefined;
    }
  };

  let out = '';
  let sawSeconds = false;
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] as string;
    if (ch !== '%' || i + 1 >= format.length) {
      out += ch;
      continue;
    }
    const c = format[++i] as string;
    if (c === 'S' || c === 'T') sawSeconds = true;
    out += conv(c) ?? `%${c}`;
  }
  if (opts.precise === true && !sawSeconds) out += fraction;
  return out;
}
