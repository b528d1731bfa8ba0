using System.Text.Json;

namespace EdgeHub.Simulator;

/// <summary>
/// Pulls the two fields the simulator needs (seq, state) out of a feedback message without deserialising it:
/// one forward pass of <see cref="Utf8JsonReader"/> over the top-level properties, no allocation.
/// </summary>
internal static class FeedbackReader
{
    public static bool TryRead(ReadOnlySpan<byte> json, out uint seq, out bool isError)
    {
        seq = 0;
        isError = false;
        var found = false;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
                {
                    break;
                }

                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                {
                    continue;
                }

                if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    found = reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out seq);
                }
                else if (reader.ValueTextEquals("state"u8))
                {
                    reader.Read();
                    isError = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("error"u8);
                }
                else
                {
                    reader.Read();
                    reader.TrySkip();
                }
            }

            return found;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
