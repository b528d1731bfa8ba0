using EdgeHub.Edge.Hosting;
using EdgeHub.Simulator;
using Microsoft.AspNetCore.Builder;

namespace EdgeHub.Cli.Demo;

/// <summary>
/// One region of the demo: its edge agent (web host + agent), its simulated fleet and its clinician bot. ClinicianUrl opens
/// the clinician page signed in (this run's clinician token in the URL fragment, which the browser never sends to the edge).
/// </summary>
internal sealed record RegionRig(string Region, string EdgeId, string EdgeUrl, string ClinicianUrl, int DeviceBrokerPort, WebApplication App, EdgeAgent Agent,
    Fleet Fleet, ClinicianBot Bot) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Bot.DisposeAsync().ConfigureAwait(false);
        await Fleet.DisposeAsync().ConfigureAwait(false);
        await App.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
    }
}
