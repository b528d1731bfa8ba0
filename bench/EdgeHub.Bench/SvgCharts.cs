using System.Globalization;
using System.Security;
using System.Text;
using System.Text.Json.Nodes;

namespace EdgeHub.Bench;

/// <summary>The two plots of the benchmark summary, drawn as plain SVG (no plotting library is obtainable here).</summary>
public static class SvgCharts
{
    /// <summary>Horizontal bars, one per ratio, with the ratio-1.0 line marked; bars below 1.0 are drawn in orange.</summary>
    public static string Bars(IReadOnlyList<(string Label, double Ratio)> bars)
    {
        ArgumentNullException.ThrowIfNull(bars);
        const int rowHeight = 22, labelWidth = 300, barWidth = 400;
        var max = 1.0;
        foreach (var (_, ratio) in bars)
        {
            max = Math.Max(max, ratio);
        }

        var svg = new StringBuilder();
        var height = (bars.Count * rowHeight) + 30;
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{labelWidth + barWidth + 80}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        var oneX = labelWidth + (barWidth / max);
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{oneX:0.#}\" y1=\"0\" x2=\"{oneX:0.#}\" y2=\"{height - 20}\" stroke=\"#c00\" stroke-dasharray=\"4\"/><text x=\"{oneX:0.#}\" y=\"{height - 6}\" fill=\"#c00\">ratio 1.0</text>");
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, ratio) = bars[i];
            var y = i * rowHeight;
            var w = barWidth * ratio / max;
            var colour = ratio >= 1 ? "#2a7" : "#d83";
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth - 6}\" y=\"{y + 15}\" text-anchor=\"end\">{SecurityElement.Escape(label)}</text>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{labelWidth}\" y=\"{y + 4}\" width=\"{w:0.#}\" height=\"14\" fill=\"{colour}\"/><text x=\"{labelWidth + w + 4:0.#}\" y=\"{y + 15}\">{ratio:0.00}</text>");
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>
    /// Latency (log scale, ms) against offered load (frames/s): one line per "*_ms" field of the points (p50, p99, …), the
    /// 10 ms target dashed. A point is a JSON object with "offered_fps" (or "rate") and its latency fields.
    /// </summary>
    public static string LatencyAgainstLoad(JsonArray points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var series = new SortedDictionary<string, List<(double X, double Y)>>(StringComparer.Ordinal);
        double maxX = 1, maxY = 10, minY = 0.1;
        foreach (var p in points)
        {
            if (p is not JsonObject o || (X(o, "offered_fps") ?? X(o, "rate")) is not { } x)
            {
                continue;
            }

            foreach (var (key, value) in o)
            {
                if (key.EndsWith("_ms", StringComparison.Ordinal) && value is JsonValue v && v.TryGetValue(out double y) && y > 0)
                {
                    if (!series.TryGetValue(key, out var list))
                    {
                        series[key] = list = [];
                    }

                    list.Add((x, y));
                    maxY = Math.Max(maxY, y);
                    minY = Math.Min(minY, y);
                }
            }

            maxX = Math.Max(maxX, x);
        }

        const int left = 60, top = 20, width = 560, height = 300;
        double Px(double x) => left + (width * x / maxX);
        double Py(double y) => top + height - (height * (Math.Log10(y) - Math.Log10(minY)) / (Math.Log10(maxY) - Math.Log10(minY)));
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 130}\" height=\"{top + height + 50}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{width}\" height=\"{height}\" fill=\"none\" stroke=\"#999\"/>");
        for (var decade = Math.Floor(Math.Log10(minY)); decade <= Math.Ceiling(Math.Log10(maxY)); decade++)
        {
            var y = Math.Pow(10, decade);
            if (y >= minY && y <= maxY)
            {
                svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{Py(y):0.#}\" x2=\"{left + width}\" y2=\"{Py(y):0.#}\" stroke=\"#eee\"/><text x=\"{left - 6}\" y=\"{Py(y) + 4:0.#}\" text-anchor=\"end\">{y:0.###} ms</text>");
            }
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{Py(10):0.#}\" x2=\"{left + width}\" y2=\"{Py(10):0.#}\" stroke=\"#c00\" stroke-dasharray=\"4\"/><text x=\"{left + width + 4}\" y=\"{Py(10) + 4:0.#}\" fill=\"#c00\">10 ms target</text>");
        for (var i = 0; i <= 4; i++)
        {
            var x = maxX * i / 4;
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Px(x):0.#}\" y=\"{top + height + 16}\" text-anchor=\"middle\">{x:0}</text>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left + (width / 2)}\" y=\"{top + height + 36}\" text-anchor=\"middle\">offered load (frames/s)</text>");
        string[] colours = ["#27a", "#d83", "#2a7", "#a2a"];
        var s = 0;
        foreach (var (name, list) in series)
        {
            list.Sort((a, b) => a.X.CompareTo(b.X));
            var colour = colours[s % colours.Length];
            var path = new StringBuilder();
            foreach (var (x, y) in list)
            {
                path.Append(CultureInfo.InvariantCulture, $"{(path.Length == 0 ? "M" : " L")}{Px(x):0.#},{Py(y):0.#}");
                svg.AppendLine(CultureInfo.InvariantCulture, $"<circle cx=\"{Px(x):0.#}\" cy=\"{Py(y):0.#}\" r=\"3\" fill=\"{colour}\"/>");
            }

            svg.AppendLine(CultureInfo.InvariantCulture, $"<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left + width + 4}\" y=\"{top + 14 + (s * 16)}\" fill=\"{colour}\">{SecurityElement.Escape(name)}</text>");
            s++;
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static double? X(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue(out double d) ? d : null;
}
