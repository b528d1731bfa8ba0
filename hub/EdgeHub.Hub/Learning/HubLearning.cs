using EdgeHub.Hub.Api;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeHub.Hub.Learning;

/// <summary>Registers the learning loop (registry, retrain scheduler, rollouts) and its endpoints.</summary>
internal static class HubLearning
{
    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<ModelFiles>();
    }

    public static void MapEndpoints(RouteGroupBuilder api)
    {
        ModelEndpoints.Map(api);
    }
}
