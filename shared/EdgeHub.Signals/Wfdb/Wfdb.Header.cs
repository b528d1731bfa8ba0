using System.Globalization;

namespace EdgeHub.Signals;

public static partial class Wfdb
{
    /// <summary>
    /// Parses one signal specification line:
    /// <c>file format[xsamp][:skew][+offset] [gain[(baseline)][/units] [adcres [adczero [initval [checksum [blocksize [description]]]]]]]</c>.
    /// Gains and baselines may be fractional (wfdb-python writes e.g. <c>731.6535433070867(276)/mV</c>).
    /// </summary>
    private static WfdbSignalInfo ParseSignalLine(string path, int lineNo, string[] f, out long byteOffset)
    {
        if (f.Length < 2)
        {
            throw new InvalidDataException($"{path}:{lineNo}: signal line needs at least 'FILE FORMAT'");
        }

        var fmtText = f[1];
        byteOffset = 0;
        var plus = fmtText.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            byteOffset = ParseLong(path, lineNo, fmtText[(plus + 1)..], "byte offset");
            fmtText = fmtText[..plus];
        }

        var colon = fmtText.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            fmtText = fmtText[..colon]; // skew: ignored (zero in the records we read)
        }

        var x = fmtText.IndexOf('x', StringComparison.Ordinal);
        if (x >= 0)
        {
            if (ParseLong(path, lineNo, fmtText[(x + 1)..], "samples per frame") != 1)
            {
                throw new InvalidDataException($"{path}:{lineNo}: multi-frequency signals ({f[1]}) are not supported");
            }

            fmtText = fmtText[..x];
        }

        var format = (int)ParseLong(path, lineNo, fmtText, "format");
        double gain = 0;
        double? baseline = null;
        var units = "mV";
        if (f.Length > 2)
        {
            var g = f[2];
            var slash = g.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                units = g[(slash + 1)..];
                g = g[..slash];
            }

            var paren = g.IndexOf('(', StringComparison.Ordinal);
            if (paren >= 0)
            {
                var close = g.IndexOf(')', paren);
                if (close < 0)
                {
                    throw new InvalidDataException($"{path}:{lineNo}: baseline in '{f[2]}' lacks ')'");
                }

                baseline = ParseDouble(path, lineNo, g[(paren + 1)..close], "baseline");
                g = g[..paren];
            }

            gain = ParseDouble(path, lineNo, g, "gain");
        }

        if (gain == 0)
        {
            gain = 200; // WFDB_DEFGAIN: the header says the gain is unspecified
        }

        var adcRes = f.Length > 3 ? (int)ParseLong(path, lineNo, f[3], "ADC resolution") : 0;
        var adcZero = f.Length > 4 ? (int)ParseLong(path, lineNo, f[4], "ADC zero") : 0;
        int? init = f.Length > 5 ? (int)ParseLong(path, lineNo, f[5], "initial value") : null;
        int? checksum = f.Length > 6 ? (int)ParseLong(path, lineNo, f[6], "checksum") : null;
        var description = f.Length > 8 ? string.Join(' ', f, 8, f.Length - 8) : "";
        return new WfdbSignalInfo(f[0], format, gain, baseline ?? adcZero, units, adcRes, adcZero, init, checksum, description);
    }

    private static long ParseLong(string path, int lineNo, string text, string what) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"{path}:{lineNo}: {what} '{text}' is not an integer");

    private static double ParseDouble(string path, int lineNo, string text, string what) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new InvalidDataException($"{path}:{lineNo}: {what} '{text}' is not a number");
}
