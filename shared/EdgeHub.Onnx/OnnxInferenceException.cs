namespace EdgeHub.Onnx;

/// <summary>
/// A failure of ONNX Runtime, or of loading it, as EdgeHub reports it: <see cref="Exception.Message"/> says what EdgeHub was
/// doing and with which model; <see cref="OrtMessage"/> is what ORT itself said ("[ErrorCode:InvalidProtobuf] ...") (the package's
/// <c>OnnxRuntimeException</c> is kept as the inner exception).
/// </summary>
public sealed class OnnxInferenceException : Exception
{
    /// <summary>Wraps ORT's own exception, naming the operation ("to load model eu-3 (2,345 bytes)").</summary>
    public OnnxInferenceException(string operation, Microsoft.ML.OnnxRuntime.OnnxRuntimeException inner)
        : base($"ONNX Runtime failed {operation}: {inner?.Message}", inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        OrtMessage = inner.Message;
    }

    /// <summary>Creates an exception for a condition EdgeHub detected around ORT (library loading, model shape).</summary>
    public OnnxInferenceException(string message, Exception innerException)
        : base(message, innerException)
    {
        OrtMessage = message;
    }

    /// <summary>Creates an exception with a message.</summary>
    public OnnxInferenceException(string message)
        : base(message)
    {
        OrtMessage = message;
    }

    /// <summary>Creates an exception with a generic message.</summary>
    public OnnxInferenceException()
        : this("ONNX Runtime failed")
    {
    }

    /// <summary>ORT's own message, unchanged (or EdgeHub's, when ORT was not involved).</summary>
    public string OrtMessage { get; }
}
