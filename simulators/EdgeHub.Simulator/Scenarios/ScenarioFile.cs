using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeHub.Simulator;

/// <summary>A scenario file as written (JSON, comments allowed). See scenarios/default.json for a documented sample.</summary>
public sealed class ScenarioFile
{
    /// <summary>Name shown in logs and the summary.</summary>
    public string? Name { get; set; }
    /// <summary>Free text.</summary>
    public string? Description { get; set; }
    /// <summary>Sites the devices are spread over (round robin); default ["ward-1", "ward-2"].</summary>
    public List<string>? Sites { get; set; }
    /// <summary>Device id prefix: ids are PREFIX-00001, PREFIX-00002, … (default "dev").</summary>
    public string? DevicePrefix { get; set; }
    /// <summary>Groups of devices with their episodes; devices in no cohort stay in sinus rhythm.</summary>
    public List<CohortFile>? Cohorts { get; set; }
}

/// <summary>One cohort: which devices (exactly one of devices, count, share) and what happens to them.</summary>
public sealed class CohortFile
{
    /// <summary>Name for logs and the ground truth.</summary>
    public string? Name { get; set; }
    /// <summary>Explicit device ids.</summary>
    public List<string>? Devices { get; set; }
    /// <summary>The next N devices not yet in a cohort.</summary>
    public int? Count { get; set; }
    /// <summary>A fraction of the fleet (0–1], rounded up so small fleets still get one device.</summary>
    public double? Share { get; set; }
    /// <summary>The episodes every device of the cohort goes through.</summary>
    public List<EpisodeFile>? Episodes { get; set; }
}

/// <summary>One scripted episode, in seconds from the start of the run.</summary>
public sealed class EpisodeFile
{
    /// <summary>af, pvc, vt, brady, tachy, desat, noise, lead_off.</summary>
    public string? Kind { get; set; }
    /// <summary>Seconds after the start of the run.</summary>
    public double Start { get; set; }
    /// <summary>Length in seconds.</summary>
    public double Duration { get; set; }
    /// <summary>Repeat period in seconds (0 = once). Must exceed duration + jitter.</summary>
    public double RepeatEvery { get; set; }
    /// <summary>Each device (and each repetition) starts up to this many seconds later, so a cohort does not act in unison.</summary>
    public double Jitter { get; set; }
    /// <summary>Heart rate for af / vt / brady / tachy (bpm); 0 = the patient's own default.</summary>
    public double Rate { get; set; }
    /// <summary>pvc: sinus beats between PVCs (1 = bigeminy); 0 = random 2–6.</summary>
    public int PvcEvery { get; set; }
    /// <summary>desat: the SpO2 the patient falls to (%); 0 = 85.</summary>
    public double Spo2 { get; set; }
}

/// <summary>Source-generated JSON for scenario files.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ScenarioFile))]
internal sealed partial class ScenarioJson : JsonSerializerContext;
