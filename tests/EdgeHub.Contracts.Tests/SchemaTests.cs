using System.Text.Json;
using EdgeHub.Contracts;

namespace EdgeHub.Contracts.Tests;

public class SchemaTests
{
    [Fact]
    public void FeatureSchema_IndicesMatchPositions_AndNamesAreUnique()
    {
        for (var i = 0; i < FeatureSchema.Count; i++)
        {
            Assert.Equal(i, FeatureSchema.Features[i].Index);
            Assert.Equal(i, FeatureSchema.IndexOf(FeatureSchema.Features[i].Name));
            Assert.True(float.IsFinite(FeatureSchema.Features[i].Default));
        }

        Assert.Equal(FeatureSchema.Count, FeatureSchema.Features.Select(f => f.Name).Distinct().Count());
    }

    [Fact]
    public void DeltaSchema_CarriesEveryFeatureInOrder_AndUniqueColumns()
    {
        for (var i = 0; i < FeatureSchema.Count; i++)
        {
            var column = DeltaSchema.Columns[DeltaSchema.FirstFeatureColumn + i];
            Assert.Equal(FeatureSchema.Features[i].Name, column.Name);
            Assert.Equal(ColumnKind.Float, column.Kind);
        }

        Assert.Equal(DeltaSchema.Columns.Count, DeltaSchema.Columns.Select(c => c.Name).Distinct().Count());
        Assert.True(DeltaSchema.IndexOf("label") > 0);
        Assert.DoesNotContain(DeltaSchema.Columns, c => c.Name.Contains("patient_id", StringComparison.Ordinal));
    }

    [Fact]
    public void RhythmClasses_ParseEveryName_AndCriticalIncludesAfAndVt()
    {
        for (var i = 0; i < RhythmClasses.Count; i++)
        {
            Assert.True(RhythmClasses.TryParse(RhythmClasses.Names[i].ToUpperInvariant(), out var c));
            Assert.Equal(i, (int)c);
        }

        Assert.False(RhythmClasses.TryParse("asystole", out _));
        Assert.Contains(RhythmClass.AtrialFibrillation, RhythmClasses.Critical);
        Assert.Contains(RhythmClass.VentricularTachycardia, RhythmClasses.Critical);
    }

    [Fact]
    public void ContractsJson_Alert_RoundTripsWithCamelCaseAndEnumNames()
    {
        var alert = new AlertMessage
        {
            AlertId = "a1", State = "raised", Kind = "af", Source = "model", Severity = AlertSeverity.High,
            SiteId = "s1", DeviceId = "d1", PatientPseudonym = "p_00", StartedAt = DateTimeOffset.UnixEpoch,
        };
        var json = JsonSerializer.Serialize(alert, ContractsJson.Default.AlertMessage);

        Assert.Contains("\"alertId\":\"a1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"severity\":\"High\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("strip", json, StringComparison.Ordinal);
        Assert.Equal(alert, JsonSerializer.Deserialize(json, ContractsJson.Default.AlertMessage));
    }

    [Fact]
    public void Pseudonymizer_IsStablePerKey_AndDiffersAcrossKeysAndKinds()
    {
        var a = new Pseudonymizer(new byte[32]);
        var b = new Pseudonymizer(Enumerable.Repeat((byte)1, 32).ToArray());

        Assert.Equal(a.Pseudonymise("patient", "MRN-1"), a.Pseudonymise("patient", "MRN-1"));
        Assert.NotEqual(a.Pseudonymise("patient", "MRN-1"), b.Pseudonymise("patient", "MRN-1"));
        Assert.NotEqual(a.Pseudonymise("patient", "MRN-1"), a.Pseudonymise("device", "MRN-1"));
        Assert.DoesNotContain("MRN", a.Pseudonymise("patient", "MRN-1"), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Pseudonymizer(new byte[8]));
    }
}
