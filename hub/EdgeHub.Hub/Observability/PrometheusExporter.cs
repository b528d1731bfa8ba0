using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace EdgeHub.Hub.Observability;

/// <summary>
/// Collects measurements of the EdgeHub meters with a <see cref="MeterListener"/> and renders them in the Prometheus text
/// exposition format (version 0.0.4): counters get a <c>_total</c> suffix, histograms <c>_bucket</c>/<c>_sum</c>/<c>_count</c>,
/// observable gauges are sampled at scrape time. OpenTelemetry's exporter is not obtainable here; this is the small subset we need.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), Series> _series = new();
    private readonly Lock _scrape = new();

    /// <summary>Listens to the instruments of <paramref name="own"/> and of other EdgeHub library meters (not other hubs' meters in the same process).</summary>
    public PrometheusExporter(Meter own)
    {
        ArgumentNullException.ThrowIfNull(own);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == own
                || (instrument.Meter.Name.StartsWith("EdgeHub", StringComparison.Ordinal) && instrument.Meter.Name != own.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Renders every series.</summary>
    public string Render()
    {
        lock (_scrape)
        {
            _listener.RecordObservableInstruments();
            var sb = new StringBuilder(4096);
            var byName = new SortedDictionary<string, List<(string Labels, Series S, Instrument I)>>(StringComparer.Ordinal);
            foreach (var ((name, labels), series) in _series)
            {
                var instrument = series.Instrument;
                if (!byName.TryGetValue(name, out var list))
                {
                    byName[name] = list = [];
                }

                list.Add((labels, series, instrument));
            }

            foreach (var (name, list) in byName)
            {
                var instrument = list[0].I;
                var type = instrument switch
                {
                    Counter<long> or Counter<double> or ObservableCounter<long> or ObservableCounter<double> => "counter",
                    Histogram<double> or Histogram<long> => "histogram",
                    _ => "gauge",
                };
                sb.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description ?? instrument.Name).Append('\n');
                sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
                list.Sort((a, b) => string.CompareOrdinal(a.Labels, b.Labels));
                foreach (var (labels, s, _) in list)
                {
                    s.Write(sb, name, labels, type == "histogram");
                }
            }

            return sb.ToString();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        var series = _series.GetOrAdd((MetricName(instrument), labels), static (_, i) => new Series(i), instrument);
        var cumulative = instrument is Counter<long> or Counter<double> or UpDownCounter<long> or UpDownCounter<double>;
        series.Add(value, cumulative);
    }

    private static string MetricName(Instrument i)
    {
        var name = i.Name.Replace('.', '_').Replace('-', '_');
        if (i.Unit == "s" && !name.EndsWith("_seconds", StringComparison.Ordinal))
        {
            name += "_seconds";
        }
        else if (i.Unit == "By" && !name.EndsWith("_bytes", StringComparison.Ordinal))
        {
            name += "_bytes";
        }

        return i is Counter<long> or Counter<double> or ObservableCounter<long> or ObservableCounter<double> ? name + "_total" : name;
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }

        var parts = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            var v = Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "";
            parts[i] = $"{tags[i].Key}=\"{v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"";
        }

        Array.Sort(parts, StringComparer.Ordinal);
        return string.Join(',', parts);
    }

    private sealed class Series(Instrument instrument)
    {
        private readonly Lock _gate = new();
        private readonly long[]? _buckets = instrument is Histogram<double> or Histogram<long> ? new long[Buckets.Length] : null;

        public Instrument Instrument => instrument;
        private double _value;
        private long _count;

        public void Add(double v, bool cumulative)
        {
            lock (_gate)
            {
                _count++;
                if (_buckets is not null)
                {
                    _value += v;
                    for (var b = 0; b < Buckets.Length; b++)
                    {
                        if (v <= Buckets[b])
                        {
                            _buckets[b]++;
                        }
                    }
                }
                else
                {
                    _value = cumulative ? _value + v : v;
                }
            }
        }

        public void Write(StringBuilder sb, string name, string labels, bool isHistogram)
        {
            lock (_gate)
            {
                if (!isHistogram || _buckets is null)
                {
                    sb.Append(name);
                    if (labels.Length > 0)
                    {
                        sb.Append('{').Append(labels).Append('}');
                    }

                    sb.Append(' ').Append(_value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                    return;
                }

                var sep = labels.Length > 0 ? labels + "," : "";
                for (var b = 0; b < Buckets.Length; b++)
                {
                    sb.Append(name).Append("_bucket{").Append(sep).Append("le=\"").Append(Buckets[b].ToString("R", CultureInfo.InvariantCulture))
                        .Append("\"} ").Append(_buckets[b]).Append('\n');
                }

                sb.Append(name).Append("_bucket{").Append(sep).Append("le=\"+Inf\"} ").Append(_count).Append('\n');
                var suffix = labels.Length > 0 ? "{" + labels + "}" : "";
                sb.Append(name).Append("_sum").Append(suffix).Append(' ').Append(_value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                sb.Append(name).Append("_count").Append(suffix).Append(' ').Append(_count).Append('\n');
            }
        }
    }
}
