using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace EdgeHub.Cli.Ctl;

/// <summary>Prints API answers as tables for people, or as JSON with --json.</summary>
internal static class CtlOutput
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Print(JsonNode? node, bool json)
    {
        if (json || node is null)
        {
            Console.WriteLine(node?.ToJsonString(Indented) ?? "null");
            return;
        }

        var rows = node switch
        {
            JsonArray a => a,
            JsonObject o when o["items"] is JsonArray items => items,
            _ => null,
        };
        if (rows is null)
        {
            PrintObject((JsonObject)node);
            return;
        }

        if (rows.Count == 0)
        {
            Console.WriteLine("(none)");
            return;
        }

        var columns = new List<string>();
        foreach (var row in rows)
        {
            if (row is JsonObject o)
            {
                foreach (var (key, value) in o)
                {
                    if (value is not JsonObject and not JsonArray && !columns.Contains(key))
                    {
                        columns.Add(key);
                    }
                }
            }
        }

        var table = new Table().Border(TableBorder.Simple);
        foreach (var c in columns)
        {
            table.AddColumn(Markup.Escape(c));
        }

        foreach (var row in rows)
        {
            var cells = new List<string>();
            foreach (var c in columns)
            {
                cells.Add(Markup.Escape(Scalar(row?[c])));
            }

            table.AddRow([.. cells]);
        }

        AnsiConsole.Write(table);
    }

    private static void PrintObject(JsonObject o)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("field").AddColumn("value");
        foreach (var (key, value) in o)
        {
            table.AddRow(Markup.Escape(key), Markup.Escape(value is JsonObject or JsonArray ? value.ToJsonString() : Scalar(value)));
        }

        AnsiConsole.Write(table);
    }

    private static string Scalar(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue(out string? s) => s ?? "",
        _ => value.ToJsonString(),
    };
}
