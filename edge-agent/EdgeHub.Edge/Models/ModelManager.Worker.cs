using System.Text.Json;
using EdgeHub.Contracts;
using Microsoft.Extensions.Logging;
using EdgeHub.Common;

namespace EdgeHub.Edge.Models;

/// <summary>The inference thread's side: changes are applied only here, between two batches.</summary>
public sealed partial class ModelManager
{
    /// <summary>The serving model as of the last <see cref="ApplyPending"/> (inference thread only).</summary>
    public LoadedModel? Current => _current;

    /// <summary>The shadow candidate as of the last <see cref="ApplyPending"/> (inference thread only).</summary>
    public LoadedModel? Candidate => _candidate;

    /// <summary>Applies queued installs and rollbacks. Call from the inference thread before each batch.</summary>
    public void ApplyPending()
    {
        while (_commands.TryDequeue(out var c))
        {
            switch (c.Kind)
            {
                case CommandKind.Install when c.ShadowWindows > 0 && _current is not null:
                    DisposeQuietly(_candidate);
                    _candidate = c.Model;
                    _shadowTarget = c.ShadowWindows;
                    _shadowWindows = 0;
                    _shadowAgreements = 0;
                    _shadowVersion = c.Model!.Version;
                    Applied(c);
                    PublishSlots(servingChanged: false);
                    break;
                case CommandKind.Install:
                    Applied(c);
                    Promote(c.Model!, c.Reason);
                    break;
                case CommandKind.SetPrevious:
                    DisposeQuietly(_previous);
                    _previous = c.Model;
                    PublishSlots(servingChanged: false);
                    break;
                case CommandKind.Rollback:
                    Rollback(c.Reason, c.Target);
                    break;
            }
        }
    }

    /// <summary>An install left the queue: the install thread stops counting it as pending (unless a newer one was queued since).</summary>
    private void Applied(Command install) => Interlocked.CompareExchange(ref _queuedVersion, null, install.Model!.Version);

    /// <summary>Publishes the inference thread's state as the snapshot every other thread reads.</summary>
    private void PublishSlots(bool servingChanged)
    {
        var last = _slots;
        var shadow = _shadowVersion is null
            ? null
            : new ShadowRun(_shadowVersion, _shadowWindows, _shadowWindows == 0 ? null : (double)_shadowAgreements / _shadowWindows);
        _slots = new ModelSlots(_current?.Version, _candidate?.Version, _previous?.Version, last.Generation + (servingChanged ? 1 : 0), shadow);
    }

    /// <summary>Counts a shadow batch: <paramref name="agreements"/> of <paramref name="windows"/> had the same argmax class.</summary>
    public void ReportShadow(int windows, int agreements)
    {
        if (_candidate is null)
        {
            return;
        }

        _shadowWindows += windows;
        _shadowAgreements += agreements;
        var agreement = (double)_shadowAgreements / Math.Max(1, _shadowWindows);
        if (_shadowWindows < _shadowTarget)
        {
            PublishSlots(servingChanged: false);
            return;
        }

        var candidate = _candidate;
        _candidate = null;
        _logger.LogInformation("model {Version} finished its shadow run: {Agreement:P1} agreement with {Current} over {Windows} windows",
            candidate.Version, agreement, _current?.Version, _shadowWindows);
        Promote(candidate, $"shadow complete ({agreement:P1} agreement over {_shadowWindows} windows)");
    }

    /// <summary>
    /// A model threw while running. A failing candidate is dropped; a failing current model is replaced by the previous one
    /// (or by none: the safety net keeps alerting). Returns the model to use now for the same batch.
    /// </summary>
    public LoadedModel? OnRunFailure(LoadedModel failed, Exception error)
    {
        ArgumentNullException.ThrowIfNull(failed);
        ArgumentNullException.ThrowIfNull(error);
        var message = $"model {failed.Version} failed to run: {error.Message}";
        SetError(message, failed.Version);
        _refused[failed.Version + "/" + failed.Assignment.Sha256] = message;
        if (ReferenceEquals(failed, _candidate))
        {
            _logger.LogError("{Message}; shadow run cancelled, {Current} keeps serving", message, _current?.Version);
            _candidate = null;
            DisposeQuietly(failed);
            PublishSlots(servingChanged: false);
            return _current;
        }

        if (ReferenceEquals(failed, _current))
        {
            _logger.LogError("{Message}; rolling back to {Previous}", message, _previous?.Version ?? "the safety net only");
            var fallback = _previous;
            _previous = null;
            _current = fallback;
            DisposeQuietly(failed);
            Persist();
            PublishSlots(servingChanged: true);
            Swapped?.Invoke(_current?.Version, message);
        }

        return _current;
    }

    private void Promote(LoadedModel model, string reason)
    {
        if (_current is not null)
        {
            // The replaced model becomes the rollback target; the one before it is released.
            DisposeQuietly(_previous);
            _previous = _current;
        }

        _current = model;
        if (ReferenceEquals(_candidate, model))
        {
            _candidate = null;
        }

        Persist();
        PublishSlots(servingChanged: true);
        _logger.LogInformation("now serving model {Version} ({Reason}); previous {Previous}", model.Version, reason, _previous?.Version ?? "none");
        Swapped?.Invoke(model.Version, reason);
    }

    private void Rollback(string reason, string? target)
    {
        var serving = _current?.Version;
        if (target is not null && serving == target && _candidate is null)
        {
            return; // already serving the version the assignment names (a repeated delivery)
        }

        if (target is not null && serving != target && _previous?.Version != target)
        {
            _logger.LogWarning("rollback to {Target} ({Reason}) no longer applies: serving {Current}, previous {Previous}", target, reason, serving ?? "none", _previous?.Version ?? "none");
            return;
        }

        if (_candidate is not null)
        {
            _logger.LogWarning("rollback ({Reason}): shadow candidate {Version} dropped, {Current} keeps serving", reason, _candidate.Version, serving);
            DisposeQuietly(_candidate);
            _candidate = null;
            PublishSlots(servingChanged: false);
            if (target is null || serving == target)
            {
                return;
            }
        }

        if (_previous is null)
        {
            _logger.LogWarning("rollback ({Reason}) requested but there is no previous model; {Current} keeps serving", reason, serving ?? "no model");
            return;
        }

        // Swap current and previous: a second rollback rolls forward again.
        (_current, _previous) = (_previous, _current);
        Persist();
        PublishSlots(servingChanged: true);
        _logger.LogWarning("rolled back to model {Version} ({Reason})", _current?.Version, reason);
        Swapped?.Invoke(_current?.Version, "rollback: " + reason);
    }

    private void Persist()
    {
        try
        {
            Write("current", _current);
            Write("previous", _previous);
        }
        catch (IOException ex)
        {
            _logger.LogError("could not persist models under {Dir}: {Message}; after a restart the edge waits for the hub's assignment", _directory, ex.Message);
        }
    }

    private void Write(string slot, LoadedModel? model)
    {
        var json = Path.Combine(_directory, slot + ".json");
        var onnx = Path.Combine(_directory, slot + ".onnx");
        if (model is null)
        {
            File.Delete(json);
            File.Delete(onnx);
            return;
        }

        // Bytes first, then the assignment that vouches for them; each via temp file + fsync + rename (atomic on POSIX).
        WriteAtomic(onnx, model.Bytes);
        WriteAtomic(json, JsonSerializer.SerializeToUtf8Bytes(model.Assignment, ContractsJson.Default.ModelAssignment));
    }

    private static void WriteAtomic(string path, byte[] bytes) => AtomicFile.Write(path, bytes);

    private static void DisposeQuietly(LoadedModel? model)
    {
        try
        {
            model?.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        DisposeQuietly(_candidate);
        if (!ReferenceEquals(_previous, _current))
        {
            DisposeQuietly(_previous);
        }

        DisposeQuietly(_current);
        while (_commands.TryDequeue(out var c))
        {
            DisposeQuietly(c.Model);
        }

        _verifier.Dispose();
        _installGate.Dispose();
    }
}
