namespace EdgeHub.Signals;

/// <summary>One detected heartbeat.</summary>
/// <param name="SampleIndex">R-peak position, counted from the first sample the detector processed.</param>
/// <param name="AmplitudeMv">Height of the main QRS deflection above the PR baseline, in mV (absolute value).</param>
/// <param name="WidthMs">Estimated QRS duration in milliseconds.</param>
/// <param name="Premature">The beat came more than 20 % earlier than the recent mean RR interval predicts.</param>
public readonly record struct Beat(long SampleIndex, float AmplitudeMv, float WidthMs, bool Premature);
