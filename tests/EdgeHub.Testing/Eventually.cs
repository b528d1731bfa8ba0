using System.Diagnostics;

namespace EdgeHub.Testing;

/// <summary>Waiting on a condition with a deadline: the only way tests synchronise with background work (never a bare sleep).</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes, then throws naming <paramref name="what"/>.</summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        var pause = 1;
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"not within {timeout.TotalSeconds:0.#} s: {what}");
            }

            await Task.Delay(pause).ConfigureAwait(false);
            pause = Math.Min(pause * 2, 50);
        }
    }

    /// <summary>Polls the asynchronous <paramref name="condition"/> (e.g. an HTTP probe) until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, TimeSpan? pause = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        var wait = pause ?? TimeSpan.FromMilliseconds(200);
        while (!await condition().ConfigureAwait(false))
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"not within {timeout.TotalSeconds:0.#} s: {what}");
            }

            await Task.Delay(wait).ConfigureAwait(false);
        }
    }

    /// <summary>Awaits <paramref name="task"/> with a deadline, throwing naming <paramref name="what"/> when it does not finish.</summary>
    public static async Task<T> WithinAsync<T>(Task<T> task, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(task);
        var winner = await Task.WhenAny(task, Task.Delay(timeout)).ConfigureAwait(false);
        return winner == task
            ? await task.ConfigureAwait(false)
            : throw new TimeoutException($"not within {timeout.TotalSeconds:0.#} s: {what}");
    }
}
