/** The shell line that runs a connector with its token (the token in the environment, not in ps). */
export const connectorCommand = (token: string, gatewayUrl: string) => `GATEHOUSE_CONNECTOR_TOKEN=${token} npx gatehouse connector --gateway ${gatewayUrl}`;

/** Where a connector's card is on the Connectors page (the connections list links to it). */
export const connectorAnchor = (name: string) => `connector-${name}`;
