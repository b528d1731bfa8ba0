using System.Security.Cryptography;
using EdgeHub.Learning.Registry;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeHub.Hub.Learning;

/// <summary>Registers the learning loop (registry on the catalog, retrain scheduler, rollouts) and its endpoints.</summary>
internal static class HubLearning
{
    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<ModelFiles>();
        services.AddSingleton<IModelRegistryStore, CatalogModelRegistryStore>();
        services.AddSingleton(sp => new ModelRegistry(sp.GetRequiredService<IModelRegistryStore>(), sp.GetRequiredService<ECDsa>()));
        services.AddSingleton<RolloutService>();
        services.AddSingleton<RetrainScheduler>();
        services.AddHostedService<LearningLoop>();
    }

    public static void MapEndpoints(RouteGroupBuilder api)
    {
        ModelEndpoints.Map(api);
        RolloutEndpoints.Map(api);
    }
}
