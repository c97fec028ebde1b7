// The store a fleet child opens, named by FLEET_STORE (file, vault, aws), configured from its environment
// as a deployment would be (PHLOW_KEY_STORE_FILE + PHLOW_MASTER_KEY; VAULT_ADDR + VAULT_TOKEN; the AWS_*
// variables with-services.sh exports). Plain Node: children run the built packages.
export async function openStore(kind = process.env.FLEET_STORE ?? 'file', env = process.env) {
  if (kind === 'file') return (await import('@phlow/keystore-file')).createFileKeyStore({ env });
  if (kind === 'vault') {
    return (await import('@phlow/keystore-vault')).createVaultKeyStore({
      env,
      onWarning: () => {},
    });
  }
  if (kind === 'aws') return (await import('@phlow/keystore-aws')).createAwsKeyStore({ env });
  throw new Error(`FLEET_STORE must be file, vault or aws, not ${kind}`);
}
