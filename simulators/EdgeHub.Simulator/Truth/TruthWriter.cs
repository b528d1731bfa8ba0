using System.Text.Json;
using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>
/// Writes the ground truth of a run as JSON Lines, one object per line:
/// <code>
/// {"type":"run","start":"2026-…Z","startUs":…,"seed":1,"scenario":"default","sampleRate":250,"devices":5000}
/// {"type":"device","device":"dev-00001","site":"ward-1","patient":"P-00001","bed":"B001","cohort":"af","source":"synthetic"}
/// {"type":"episode","device":"dev-00001","kind":"af","class":"af","startUs":…,"endUs":…}
/// {"type":"beats","device":"dev-00001","us":[…],"sym":"NNV…"}      (R-peak times of one frame, µs since the Unix epoch)
/// {"type":"end","endUs":…}
/// </code>
/// Times are the device's true clock (clock-skew faults do not touch them). Thread-safe: devices of every scheduler loop
/// write through one lock into a buffered file; the writer and its buffer are reused, so a line costs no allocation.
/// </summary>
public sealed class TruthWriter : IDisposable
{
    private readonly Lock _gate = new();
    private readonly FileStream _file;
    private readonly MemoryStream _buffer = new(64 * 1024);
    private readonly Utf8JsonWriter _json;
    private bool _disposed;

    /// <summary>Creates (truncates) <paramref name="path"/>.</summary>
    public TruthWriter(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        Path = path;
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _json = new Utf8JsonWriter(_buffer);
    }

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>Lines written.</summary>
    public long Lines { get; private set; }

    /// <summary>The run header line.</summary>
    public void WriteRun(DateTimeOffset start, int seed, string scenario, int sampleRate, int devices)
    {
        lock (_gate)
        {
            Begin("run");
            _json.WriteString("start", start);
            _json.WriteNumber("startUs", Micros(start));
            _json.WriteNumber("seed", seed);
            _json.WriteString("scenario", scenario);
            _json.WriteNumber("sampleRate", sampleRate);
            _json.WriteNumber("devices", devices);
            End();
        }
    }

    /// <summary>One device's identity and source.</summary>
    public void WriteDevice(string deviceId, string site, string patient, string bed, string? cohort, string source)
    {
        lock (_gate)
        {
            Begin("device");
            _json.WriteString("device", deviceId);
            _json.WriteString("site", site);
            _json.WriteString("patient", patient);
            _json.WriteString("bed", bed);
            if (cohort is not null)
            {
                _json.WriteString("cohort", cohort);
            }

            _json.WriteString("source", source);
            End();
        }
    }

    /// <summary>One episode (written when it starts; its end is known from the schedule).</summary>
    public void WriteEpisode(string deviceId, EpisodeKind kind, long startUs, long endUs)
    {
        lock (_gate)
        {
            Begin("episode");
            _json.WriteString("device", deviceId);
            _json.WriteString("kind", EpisodeKinds.Name(kind));
            _json.WriteString("class", RhythmClasses.Name(EpisodeKinds.ToRhythmClass(kind)));
            _json.WriteNumber("startUs", startUs);
            _json.WriteNumber("endUs", endUs);
            End();
        }
    }

    /// <summary>The beats of one frame: R-peak sample indexes converted to µs from <paramref name="runStartUs"/>.</summary>
    public void WriteBeats(string deviceId, long runStartUs, int sampleRate, List<BeatMark> beats)
    {
        ArgumentNullException.ThrowIfNull(beats);
        if (beats.Count == 0)
        {
            return;
        }

        Span<char> symbols = stackalloc char[Math.Min(beats.Count, 256)];
        lock (_gate)
        {
            Begin("beats");
            _json.WriteString("device", deviceId);
            _json.WriteStartArray("us");
            for (var i = 0; i < beats.Count; i++)
            {
                _json.WriteNumberValue(runStartUs + (long)Math.Round(beats[i].SampleIndex * 1e6 / sampleRate));
                if (i < symbols.Length)
                {
                    symbols[i] = beats[i].Symbol;
                }
            }

            _json.WriteEndArray();
            _json.WriteString("sym", symbols[..Math.Min(beats.Count, symbols.Length)]);
            End();
        }
    }

    /// <summary>The closing line.</summary>
    public void WriteEnd(DateTimeOffset end)
    {
        lock (_gate)
        {
            Begin("end");
            _json.WriteNumber("endUs", Micros(end));
            End();
            _file.Write(_buffer.GetBuffer(), 0, (int)_buffer.Length);
            _buffer.SetLength(0);
            _file.Flush();
        }
    }

    /// <summary>Microseconds since the Unix epoch.</summary>
    public static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private void Begin(string type)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _json.Reset(_buffer);
        _json.WriteStartObject();
        _json.WriteString("type", type);
    }

    private void End()
    {
        _json.WriteEndObject();
        _json.Flush();
        _buffer.WriteByte((byte)'\n');
        Lines++;
        if (_buffer.Length >= 60 * 1024)
        {
            _file.Write(_buffer.GetBuffer(), 0, (int)_buffer.Length);
            _buffer.SetLength(0);
        }
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _json.Flush();
            _file.Write(_buffer.GetBuffer(), 0, (int)_buffer.Length);
            _json.Dispose();
            _file.Dispose();
            _buffer.Dispose();
        }
    }
}
