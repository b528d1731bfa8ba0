using System.Security.Cryptography;
using System.Text;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using EdgeHub.Mqtt.Security;

namespace EdgeHub.Mqtt.Tests;

/// <summary>MQTT 5 enhanced authentication (§4.12) with SCRAM-SHA-256: the RFC vector, broker and client, re-authentication.</summary>
public sealed class EnhancedAuthTests
{
    private static async Task<(MqttBroker Broker, string Dir)> StartAsync(Action<MqttBrokerOptions>? configure = null)
    {
        var dir = TestSupport.TempDir();
        var passwd = Path.Combine(dir, "passwd");
        await File.WriteAllLinesAsync(passwd,
        [
            "alice:" + MqttPasswordFile.HashPassword("wonderland", 101),
            "alice:" + MqttPasswordFile.ScramEntry("wonderland"),
            "bob:" + MqttPasswordFile.ScramEntry("builder", 4096),
            "carol:" + MqttPasswordFile.HashPassword("no-scram", 101),
        ]);
        var broker = await TestSupport.StartBrokerAsync(o =>
        {
            o.PasswordFile = passwd;
            o.AllowAnonymous = false;
            configure?.Invoke(o);
        });
        return (broker, dir);
    }

    private static MqttClient Scram(int port, string id, string user, string password) =>
        TestSupport.Client(port, id, configure: o =>
        {
            o.Authentication = new ScramSha256ClientAuthenticator(user, password);
            o.AutoReconnect = false;
        });

    /// <summary>RFC 7677 §3 example (user "user", password "pencil"): our key derivation gives its proof and server signature.</summary>
    [Fact]
    public void Scram_Rfc7677Example_ProofAndServerSignatureMatch()
    {
        const string clientFirstBare = "n=user,r=rOprNGfwEbeRWgbNEkqO";
        const string serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        const string withoutProof = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        var credential = ScramCredential.Create("pencil", 4096, Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ=="));
        var authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        var salted = ScramSha256.SaltedPassword("pencil", credential.Salt, 4096);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var proof = ScramSha256.Xor(clientKey, ScramSha256.ClientSignature(credential.StoredKey, authMessage));
        Assert.Equal("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", Convert.ToBase64String(proof));
        Assert.Equal("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", Convert.ToBase64String(ScramSha256.ServerSignature(credential.ServerKey, authMessage)));
        Assert.True(credential.Matches("pencil"u8));
        Assert.False(credential.Matches("pencil!"u8));
    }

    [Fact]
    public async Task Connect_Scram_RightPassword_AcceptedAndBrokerProvedItself()
    {
        var (broker, _) = await StartAsync();
        await using (broker)
        {
            await using var client = Scram(broker.Port, "scram-ok", "bob", "builder");
            await client.ConnectAsync();
            Assert.Equal(ScramSha256.Method, client.ConnAck!.AuthenticationMethod);
            Assert.StartsWith("v=", Encoding.UTF8.GetString(client.ConnAck.AuthenticationData!), StringComparison.Ordinal);
            await client.SubscribeAsync("x/#");
            await client.PublishAsync("x/1", "hi"u8.ToArray());
        }
    }

    [Theory]
    [InlineData("bob", "wrong")]
    [InlineData("nobody", "builder")]
    [InlineData("carol", "no-scram")] // a user without a SCRAM credential cannot use SCRAM
    public async Task Connect_Scram_BadCredentials_RefusedWithNotAuthorized(string user, string password)
    {
        var (broker, _) = await StartAsync();
        await using (broker)
        {
            await using var client = Scram(broker.Port, "scram-bad", user, password);
            var ex = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
            Assert.Equal(MqttReasonCode.NotAuthorized, ex.ReasonCode);
        }
    }

    private sealed class UnknownMethod : IMqttClientAuthenticator, IMqttClientAuthExchange
    {
        public string Method => "KERBEROS-9";
        public IMqttClientAuthExchange Begin() => this;
        public byte[]? InitialData() => [1, 2, 3];
        public byte[] Respond(ReadOnlySpan<byte> challenge) => [];
        public void Complete(ReadOnlySpan<byte> serverFinal) { }
    }

    [Fact]
    public async Task Connect_UnknownMethod_RefusedWithBadAuthenticationMethod()
    {
        var (broker, _) = await StartAsync();
        await using (broker)
        {
            await using var client = TestSupport.Client(broker.Port, "unknown-method", configure: o => o.Authentication = new UnknownMethod());
            var ex = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
            Assert.Equal(MqttReasonCode.BadAuthenticationMethod, ex.ReasonCode);
        }
    }

    [Fact]
    public async Task Connect_NoPasswordFile_ScramNotOffered_BadAuthenticationMethod()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var client = Scram(broker.Port, "no-file", "bob", "builder");
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
        Assert.Equal(MqttReasonCode.BadAuthenticationMethod, ex.ReasonCode);
    }

    [Fact]
    public async Task Connect_PlainPassword_AgainstScramOnlyEntry_Accepted()
    {
        var (broker, _) = await StartAsync();
        await using (broker)
        {
            await using var plain = TestSupport.Client(broker.Port, "plain-bob", configure: o => { o.Username = "bob"; o.Password = "builder"; });
            await plain.ConnectAsync();
            await using var wrong = TestSupport.Client(broker.Port, "plain-bob2", configure: o => { o.Username = "bob"; o.Password = "nope"; o.AutoReconnect = false; });
            Assert.Equal(MqttReasonCode.BadUserNameOrPassword, (await Assert.ThrowsAsync<MqttConnectException>(() => wrong.ConnectAsync())).ReasonCode);
        }
    }

    /// <summary>A broker-side SCRAM that does not hold the credential it claims: its ServerSignature is wrong.</summary>
    private sealed class ImpostorBroker(IMqttAuthenticator inner) : IMqttAuthenticator
    {
        public string Method => inner.Method;
        public IMqttAuthExchange Begin(string clientId) => new Exchange(inner.Begin(clientId));

        private sealed class Exchange(IMqttAuthExchange inner) : IMqttAuthExchange
        {
            public MqttAuthStep Step(ReadOnlySpan<byte> clientData)
            {
                var step = inner.Step(clientData);
                return step.Outcome == MqttAuthOutcome.Success ? MqttAuthStep.Success(step.Username!, "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="u8.ToArray()) : step;
            }
        }
    }

    [Fact]
    public async Task Connect_BrokerWithWrongServerSignature_ClientRefusesIt()
    {
        var file = MqttPasswordFile.Parse(["bob:" + MqttPasswordFile.ScramEntry("builder")]);
        await using var broker = await TestSupport.StartBrokerAsync(o => o.Authenticators.Add(new ImpostorBroker(new ScramSha256Authenticator(file.FindScram))));
        await using var client = Scram(broker.Port, "impostor", "bob", "builder");
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
        Assert.Contains("ServerSignature", ex.Message, StringComparison.Ordinal);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Reauthenticate_SameCredentials_SucceedsAndConnectionStaysUsable()
    {
        var (broker, _) = await StartAsync();
        await using (broker)
        {
            await using var client = Scram(broker.Port, "reauth", "alice", "wonderland");
            var got = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            client.MessageReceived = (m, _) => { got.TrySetResult(m.Topic); return ValueTask.CompletedTask; };
            await client.ConnectAsync();
            await client.ReauthenticateAsync().WithTimeout("re-authentication");
            await client.ReauthenticateAsync().WithTimeout("a second re-authentication");
            await client.SubscribeAsync("after/reauth");
            await client.PublishAsync("after/reauth", "x"u8.ToArray());
            Assert.Equal("after/reauth", await got.Task.WithTimeout("a message after re-authentication"));
        }
    }

    [Fact]
    public async Task Reauthenticate_PasswordChangedOnClient_BrokerDisconnectsWithNotAuthorized()
    {
        var (broker, _) = await StartAsync();
        await using (broker)
        {
            var authenticator = new SwitchableScram("alice", "wonderland");
            await using var client = TestSupport.Client(broker.Port, "reauth-bad", configure: o => { o.Authentication = authenticator; o.AutoReconnect = false; });
            await client.ConnectAsync();
            authenticator.Password = "guess";
            var ex = await Assert.ThrowsAsync<MqttException>(() => client.ReauthenticateAsync().WithTimeout("the refused re-authentication"));
            Assert.Equal(MqttReasonCode.NotAuthorized, ex.ReasonCode);
            await TestSupport.WaitUntilAsync(() => !client.IsConnected, "the broker to close the connection");
        }
    }

    private sealed class SwitchableScram(string user, string password) : IMqttClientAuthenticator
    {
        public string Password { get; set; } = password;
        public string Method => ScramSha256.Method;
        public IMqttClientAuthExchange Begin() => new ScramSha256ClientAuthenticator(user, Password).Begin();
    }

    [Fact]
    public async Task Raw_NonAuthPacketDuringExchange_ClosesConnection_GarbageFirstMessage_NotAuthorized()
    {
        var (broker, _) = await StartAsync();
        await using (broker)
        {
            await using (var raw = await RawConnection.OpenAsync(broker.Port))
            {
                await raw.SendAsync(new MqttConnectPacket { ClientId = "raw-auth", AuthenticationMethod = ScramSha256.Method, AuthenticationData = "n,,n=bob,r=abc"u8.ToArray() });
                var challenge = Assert.IsType<MqttAuthPacket>(await raw.ReadAsync());
                Assert.Equal((MqttReasonCode.ContinueAuthentication, ScramSha256.Method), (challenge.ReasonCode, challenge.AuthenticationMethod));
                Assert.StartsWith("r=abc", Encoding.UTF8.GetString(challenge.AuthenticationData!), StringComparison.Ordinal);
                await raw.SendAsync(MqttPingReqPacket.Instance); // not AUTH: a protocol error before CONNACK
                Assert.Null(await raw.ReadUntilClosedAsync());
            }
            await using (var raw = await RawConnection.OpenAsync(broker.Port))
            {
                await raw.SendAsync(new MqttConnectPacket { ClientId = "raw-auth2", AuthenticationMethod = ScramSha256.Method, AuthenticationData = "p=tls-unique,,n=bob,r=abc"u8.ToArray() });
                var ack = Assert.IsType<MqttConnAckPacket>(await raw.ReadAsync());
                Assert.Equal(MqttReasonCode.NotAuthorized, ack.ReasonCode);
            }
        }
    }

    [Fact]
    public void PasswordFile_ScramLines_ParsedAndMalformedOnesNamed()
    {
        var file = MqttPasswordFile.Parse(["u:" + MqttPasswordFile.ScramEntry("pw", 4096), "v:" + MqttPasswordFile.HashPassword("pw2", 101)]);
        Assert.Equal(2, file.Count);
        Assert.Equal(4096, file.FindScram("u")!.Iterations);
        Assert.Null(file.FindScram("v"));
        Assert.True(file.Verify("u", "pw"u8));
        var ex = Assert.Throws<FormatException>(() => MqttPasswordFile.Parse(["ok:" + MqttPasswordFile.ScramEntry("pw"), "bad:$scram-sha-256$4096$notbase64$$"]));
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }
}
