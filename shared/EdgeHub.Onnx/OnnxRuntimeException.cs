namespace EdgeHub.Onnx;

/// <summary>ORT's error codes (<c>OrtErrorCode</c> in onnxruntime_c_api.h).</summary>
public enum OrtErrorCode
{
    /// <summary>Success; never carried by an exception.</summary>
    Ok = 0,
    /// <summary>Generic failure.</summary>
    Fail = 1,
    /// <summary>An argument (input name, shape, type) was wrong.</summary>
    InvalidArgument = 2,
    /// <summary>A file was not found.</summary>
    NoSuchFile = 3,
    /// <summary>No model.</summary>
    NoModel = 4,
    /// <summary>An execution provider failed.</summary>
    EngineError = 5,
    /// <summary>A runtime exception inside ORT.</summary>
    RuntimeException = 6,
    /// <summary>The model bytes are not a valid ONNX protobuf.</summary>
    InvalidProtobuf = 7,
    /// <summary>The model is already loaded.</summary>
    ModelLoaded = 8,
    /// <summary>Not implemented (for example an unsupported operator or opset).</summary>
    NotImplemented = 9,
    /// <summary>The graph is invalid.</summary>
    InvalidGraph = 10,
    /// <summary>An execution provider failed.</summary>
    EpFail = 11,
}

/// <summary>
/// A failure reported by ONNX Runtime: <see cref="Code"/> and <see cref="OrtMessage"/> are exactly what ORT returned;
/// <see cref="Exception.Message"/> adds what EdgeHub was doing when it happened.
/// </summary>
public sealed class OnnxRuntimeException : Exception
{
    /// <summary>Creates the exception from ORT's status.</summary>
    public OnnxRuntimeException(OrtErrorCode code, string ortMessage, string operation)
        : base($"ONNX Runtime failed {operation}: [{code}] {ortMessage}")
    {
        Code = code;
        OrtMessage = ortMessage;
    }

    /// <summary>Creates an exception for a condition EdgeHub detected around ORT (library loading, API version).</summary>
    public OnnxRuntimeException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = OrtErrorCode.Fail;
        OrtMessage = message;
    }

    /// <summary>Creates an exception with a generic message.</summary>
    public OnnxRuntimeException()
        : this("ONNX Runtime failed")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public OnnxRuntimeException(string message)
        : base(message)
    {
        Code = OrtErrorCode.Fail;
        OrtMessage = message;
    }

    /// <summary>ORT's error code.</summary>
    public OrtErrorCode Code { get; }

    /// <summary>ORT's own message, unchanged.</summary>
    public string OrtMessage { get; }
}
